using System.Globalization;

namespace OneKvm.Remotes.Specs.Monitoring;

/// <summary>A /proc and a libvirt pid directory on disk, with the files the probes read.</summary>
internal sealed class FakeProcTree : IDisposable
{
    public FakeProcTree()
    {
        Root = Path.Combine(Path.GetTempPath(), $"onekvm-t-proc-{Guid.NewGuid():N}");
        Proc = Path.Combine(Root, "proc");
        PidDirectory = Path.Combine(Root, "run");
        Directory.CreateDirectory(Path.Combine(Proc, "sys", "kernel", "random"));
        Directory.CreateDirectory(PidDirectory);
        BootId = "b00710d0-0000-4000-8000-000000000001";
        Uptime = 1000;
    }

    public string Root { get; }

    public string Proc { get; }

    public string PidDirectory { get; }

    public string BootId
    {
        set => File.WriteAllText(Path.Combine(Proc, "sys", "kernel", "random", "boot_id"), value + "\n");
    }

    public double Uptime
    {
        set => File.WriteAllText(Path.Combine(Proc, "uptime"), string.Create(CultureInfo.InvariantCulture, $"{value:0.00} 1234.56\n"));
    }

    /// <summary>A QEMU process of domain <paramref name="name"/> as libvirt starts it.</summary>
    public void Qemu(int pid, string name, string uuid, long cpuTicks = 0, long startTicks = 100, long rssKiB = 40000,
        long swapKiB = 0, bool pidFile = true)
    {
        Process(pid, ["/usr/bin/qemu-system-x86_64", "-name", $"guest={name},debug-threads=on", "-S", "-uuid", uuid, "-m", "64"],
            cpuTicks, startTicks, rssKiB, swapKiB);
        if (pidFile)
        {
            File.WriteAllText(Path.Combine(PidDirectory, name + ".pid"), pid.ToString(CultureInfo.InvariantCulture));
        }
    }

    public void Process(int pid, string[] commandLine, long cpuTicks = 0, long startTicks = 100, long rssKiB = 1000, long swapKiB = 0)
    {
        var dir = Path.Combine(Proc, pid.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "cmdline"), string.Join('\0', commandLine) + "\0");
        SetCpu(pid, cpuTicks, startTicks);
        File.WriteAllText(Path.Combine(dir, "status"),
            $"Name:\tqemu-system-x86\nVmPeak:\t  900000 kB\nVmRSS:\t   {rssKiB} kB\nRssAnon:\t   1 kB\nVmSwap:\t   {swapKiB} kB\nThreads:\t5\n");
    }

    /// <summary>Splits the CPU time between utime and stime (and a little in the children's fields), as the kernel does.</summary>
    public void SetCpu(int pid, long cpuTicks, long startTicks = 100)
    {
        var user = cpuTicks / 2;
        var children = Math.Min(cpuTicks - user, 1);
        var system = cpuTicks - user - children;
        // the command name may hold spaces and parentheses: only the last ')' ends it
        File.WriteAllText(Path.Combine(Proc, pid.ToString(CultureInfo.InvariantCulture), "stat"),
            $"{pid} (qemu-sys (x) y) S 1 {pid} {pid} 0 -1 4194624 100 0 0 0 {user} {system} {children} 0 20 0 5 0 {startTicks} 900000000 10000 18446744073709551615\n");
    }

    public void Remove(int pid) => Directory.Delete(Path.Combine(Proc, pid.ToString(CultureInfo.InvariantCulture)), recursive: true);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
