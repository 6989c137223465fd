using System.ComponentModel;
using OneKvm.Remotes.Host;
using OneKvm.Remotes.TestDocuments;
using Xunit;

namespace OneKvm.Remotes.Specs.Host;

/// <summary>
/// Where a program named without a path is taken from: PATH's absolute directories, in
/// order, as a shell would (.NET's Process alone would try the binary's directory and the
/// current directory first).
/// </summary>
public sealed class ProgramPathSpecs : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"onekvm-t-path-{Guid.NewGuid():N}");

    public ProgramPathSpecs()
    {
        Directory.CreateDirectory(_root);
    }

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

    private static string Program(string directory) => ExecutableFile.Write(Path.Combine(directory, "virsh"), "#!/bin/sh\nexit 0\n");

    [Fact]
    public void The_first_PATH_directory_holding_the_program_wins()
    {
        var empty = Dir("empty");
        var first = Program(Dir("first"));
        Program(Dir("second"));

        Assert.Equal(first, ProgramPath.Resolve("virsh", $"{empty}:{Path.GetDirectoryName(first)}:{_root}/second"));
    }

    [Fact]
    public void A_file_that_is_not_executable_or_a_directory_of_that_name_is_passed_over()
    {
        var plain = Dir("plain");
        File.WriteAllText(Path.Combine(plain, "virsh"), "not a program");
        var withDirectory = Dir("dir");
        Directory.CreateDirectory(Path.Combine(withDirectory, "virsh"));
        var real = Program(Dir("real"));

        Assert.Equal(real, ProgramPath.Resolve("virsh", $"{plain}:{withDirectory}:{Path.GetDirectoryName(real)}"));
    }

    [Fact]
    public void A_relative_or_empty_PATH_entry_is_never_searched()
    {
        // a relative entry that does lead to a program from the current directory
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, Path.GetDirectoryName(Program(Dir("relative")))!);
        var absolute = Program(Dir("absolute"));

        Assert.Equal(absolute, ProgramPath.Resolve("virsh", $"{relative}::.:{Path.GetDirectoryName(absolute)}"));
    }

    [Fact]
    public void A_program_named_by_a_path_is_taken_as_it_is()
    {
        Assert.Equal("./bin/virsh", ProgramPath.Resolve("./bin/virsh", "/usr/bin"));
    }

    [Fact]
    public void A_program_in_no_PATH_directory_cannot_start_and_the_error_names_it()
    {
        var error = Assert.Throws<Win32Exception>(() => ProgramPath.Resolve("virsh", Dir("nothing")));

        Assert.Contains("'virsh'", error.Message);
        Assert.Equal(2, error.NativeErrorCode);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
