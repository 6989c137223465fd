using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Driver;
using OneKvm.Remotes.Specs.Kvmrc;
using Xunit;

namespace OneKvm.Remotes.Specs.Dispatch;

/// <summary>The self-check: the action table, remotes-layout/, the package manifest and the package scripts agree.</summary>
public sealed class ActionTableSpecs
{
    private static readonly string Root = KvmrcParserSpecs.RepositoryRoot();

    [Fact]
    public void Every_action_of_the_upstream_kvm_driver_has_a_row()
    {
        string[] upstream =
        [
            "deploy", "shutdown", "cancel", "reboot", "reset", "save", "restore", "migrate", "migrate_local",
            "attach_disk", "detach_disk", "attach_nic", "detach_nic", "prereconfigure", "reconfigure",
            "snapshot_create", "snapshot_revert", "snapshot_delete", "resize", "resize_disk", "poll",
            "save.ceph", "restore.ceph",
        ];

        Assert.All(upstream, name => Assert.NotNull(ActionTable.Find(name)));
    }

    [Fact]
    public void Names_are_unique_and_each_is_the_file_name_of_its_entry()
    {
        Assert.Equal(ActionTable.All.Count, ActionTable.All.Select(e => e.Name).Distinct().Count());
        Assert.All(ActionTable.All, e => Assert.Equal(e.Name, Path.GetFileName(e.RemotesPath)));
    }

    [Fact]
    public void Required_arguments_never_follow_optional_ones()
    {
        Assert.All(ActionTable.All, e =>
        {
            var firstOptional = e.Parameters.ToList().FindIndex(p => !p.Required);
            Assert.True(firstOptional < 0 || e.Parameters.Skip(firstOptional).All(p => !p.Required), e.Name);
        });
    }

    [Fact]
    public void Every_entry_has_exactly_its_symlink_to_the_entry_program_in_remotes_layout()
    {
        var layout = Path.Combine(Root, "remotes-layout");
        foreach (var entry in RemotesLayout.Entries)
        {
            var path = Path.Combine(layout, entry.RemotesPath);
            Assert.True(new FileInfo(path).LinkTarget is not null, $"remotes-layout/{entry.RemotesPath} is missing or not a symlink (./build.sh layout)");
            Assert.Equal(RemotesLayout.EntryTarget(entry), new FileInfo(path).LinkTarget);
        }
        var expected = RemotesLayout.Entries.Select(e => e.RemotesPath).Append("etc/vmm/kvm/kvmrc").Order().ToList();
        var actual = Directory.GetFiles(layout, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(layout, f)).Order().ToList();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Each_entry_points_at_the_entry_program_beside_the_binary()
    {
        Assert.Equal("onekvm-entry", RemotesLayout.EntryTarget(ActionTable.Find("deploy")!));
        Assert.Equal("../../../../vmm/kvm/onekvm-entry", RemotesLayout.EntryTarget(ActionTable.Find("vm_monitor")!));
    }

    [Fact]
    public async Task The_package_manifest_names_the_binary_every_entry_and_upstreams_retired_probes()
    {
        var host = new Infrastructure.SpecHost();

        var code = await host.RunAsync("/r/vmm/kvm/onekvm", "layout", "--manifest");

        Assert.Equal(0, code);
        var expected = new[] { "binary vmm/kvm/onekvm" }
            .Concat(RemotesLayout.Entries.Select(e => "entry " + e.RemotesPath))
            .Concat(["retired im/kvm-probes.d/vm/monitor/poll.rb", "retired im/kvm-probes.d/vm/status/state.rb", "retired im/kvm-probes.d/vm/execution/exec.rb"]);
        Assert.Equal(expected, host.Stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void The_maintainer_scripts_take_their_path_lists_from_the_manifest_not_from_a_hand_copy()
    {
        foreach (var (script, placeholders) in new[] { ("preinst", new[] { "@DIVERTED@" }), ("postrm", ["@DIVERTED@"]), ("rpm-tree", ["@ENTRIES@", "@RETIRED@"]) })
        {
            var text = File.ReadAllText(Path.Combine(Root, "packaging", "scripts", script));
            Assert.All(placeholders, p => Assert.Contains(p, text));
            Assert.All(RemotesLayout.Entries, e => Assert.DoesNotContain(e.RemotesPath, text));
        }
    }

    [Fact]
    public async Task Only_implemented_actions_say_ready_in_the_list()
    {
        var host = new Infrastructure.SpecHost();

        var code = await host.RunAsync("/r/vmm/kvm/onekvm", "--list");

        Assert.Equal(0, code);
        var lines = host.Stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ActionTable.All.Count, lines.Length);
        foreach (var entry in ActionTable.All)
        {
            var line = Assert.Single(lines, l => l.StartsWith(entry.Name + " ", StringComparison.Ordinal));
            Assert.Contains(entry.IsImplemented ? " ready " : " not-implemented ", line);
            Assert.Contains(entry.RemotesPath, line);
        }
    }
}
