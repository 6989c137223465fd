// A program that plays virsh for the faults a real virsh cannot be made to
// produce on demand. FAKE_VIRSH_MODE picks the fault:
//   hang           never exits (and starts a child that would outlive a careless kill)
//   garbage        exits 0 with binary junk on stdout
//   stderr-flood   writes 1 MiB to stderr before failing (a runner that reads
//                  stdout and stderr one after the other deadlocks here)
//   transient:N    fails N times with "cannot acquire state change lock", then succeeds
//                  (the count lives in FAKE_VIRSH_STATE)
//   fail           exits 1 with "error: something broke"
//   exit:N         exits N with "error: exiting N"
//   echo           prints each argument on its own line, NUL-terminated
//   env:A,B        prints A=<value> and B=<value> of its environment, NUL-terminated
//                  ("A unset" for a variable it does not have)
// Every call appends its argv (NUL-separated) to FAKE_VIRSH_LOG when set.
using System.Diagnostics;
using System.Text;

var mode = Environment.GetEnvironmentVariable("FAKE_VIRSH_MODE") ?? "echo";
if (Environment.GetEnvironmentVariable("FAKE_VIRSH_LOG") is { Length: > 0 } log)
{
    File.AppendAllText(log, string.Join('\0', args) + "\n");
}

switch (mode.Split(':')[0])
{
    case "hang":
        var pidFile = Environment.GetEnvironmentVariable("FAKE_VIRSH_CHILD_PID");
        var child = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false });
        if (pidFile is not null && child is not null)
        {
            File.WriteAllText(pidFile, child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        Thread.Sleep(Timeout.Infinite);
        return 0;
    case "garbage":
        using (var stdout = Console.OpenStandardOutput())
        {
            var junk = new byte[4096];
            new Random(42).NextBytes(junk);
            stdout.Write(junk);
        }
        return 0;
    case "stderr-flood":
        var line = new string('x', 1023) + "\n";
        var err = Console.Error;
        for (var i = 0; i < 1024; i++)
        {
            err.Write(line);
        }
        err.WriteLine("error: flooded");
        return 1;
    case "transient":
        var failures = int.Parse(mode.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        var state = Environment.GetEnvironmentVariable("FAKE_VIRSH_STATE") ?? Path.Combine(Path.GetTempPath(), "fake-virsh-state");
        var count = File.Exists(state) ? int.Parse(File.ReadAllText(state), System.Globalization.CultureInfo.InvariantCulture) : 0;
        File.WriteAllText(state, (count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (count < failures)
        {
            Console.Error.WriteLine("error: Timed out during operation: cannot acquire state change lock (held by monitor=remoteDispatchDomainSuspend)");
            return 1;
        }
        return 0;
    case "exit":
        var code = int.Parse(mode.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        Console.Error.WriteLine($"error: exiting {code}");
        return code;
    case "fail":
        Console.Error.WriteLine("error: something broke");
        return 1;
    case "env":
        foreach (var name in mode.Split(':')[1].Split(','))
        {
            var value = Environment.GetEnvironmentVariable(name);
            Console.Out.Write((value is null ? $"{name} unset" : $"{name}={value}") + "\0");
        }
        return 0;
    default:
        var sb = new StringBuilder();
        foreach (var a in args)
        {
            sb.Append(a).Append('\0');
        }
        Console.Out.Write(sb.ToString());
        Console.Out.Write("LANG=" + Environment.GetEnvironmentVariable("LANG") + "\0");
        return 0;
}
