using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Xunit;

namespace OneKvm.Remotes.Specs.Infrastructure;

/// <summary>
/// Golden files named the way Verify names them (Golden/&lt;Type&gt;.&lt;Method&gt;.verified.xml;
/// a mismatch writes &lt;...&gt;.received.xml beside it), so that switching to
/// Verify.Xunit later is a one-line change. ONEKVM_ACCEPT_GOLDEN=1 accepts what
/// was received. Reviewers read the XML in the verified files.
/// </summary>
public static class Golden
{
    public static void Verify(XElement actual, string? suffix = null, [CallerFilePath] string callerFile = "",
        [CallerMemberName] string method = "") =>
        VerifyText(actual.ToString() + "\n", "xml", suffix, callerFile, method);

    public static void VerifyText(string actual, string extension, string? suffix = null,
        [CallerFilePath] string callerFile = "", [CallerMemberName] string method = "")
    {
        var type = Path.GetFileNameWithoutExtension(callerFile);
        var directory = Path.Combine(FindProjectDirectory(callerFile), "Golden");
        var stem = suffix is null ? $"{type}.{method}" : $"{type}.{method}_{suffix}";
        var verified = Path.Combine(directory, $"{stem}.verified.{extension}");
        var received = Path.Combine(directory, $"{stem}.received.{extension}");
        actual = actual.Replace("\r\n", "\n");
        if (File.Exists(verified) && File.ReadAllText(verified).Replace("\r\n", "\n") == actual)
        {
            File.Delete(received);
            return;
        }
        Directory.CreateDirectory(directory);
        if (Environment.GetEnvironmentVariable("ONEKVM_ACCEPT_GOLDEN") == "1")
        {
            File.WriteAllText(verified, actual);
            File.Delete(received);
            return;
        }
        File.WriteAllText(received, actual);
        Assert.Fail(File.Exists(verified)
            ? $"{stem}: the result differs from the golden file; compare {received} with {verified}"
            : $"{stem}: no golden file yet; review {received} and rename it to {Path.GetFileName(verified)}");
    }

    private static string FindProjectDirectory(string callerFile)
    {
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(callerFile)!); dir is not null; dir = dir.Parent)
        {
            if (dir.GetFiles("*.csproj").Length > 0)
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("no project directory above " + callerFile);
    }
}
