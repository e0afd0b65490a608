using System.Diagnostics;

namespace Onboarding.AppHost.Infrastructure;

/// <summary>
/// The Erlang VM (<c>beam.smp</c>) of a local RabbitMQ node, found by the node name in its environment. The orchestrator
/// knows only the <c>rabbitmq-server</c> wrapper script; killing the VM is what a crashed broker machine looks like.
/// </summary>
internal static class RabbitMQNodeProcesses
{
    public static IReadOnlyList<Process> Find(RabbitMQExecutableResource node)
    {
        var marker = $"RABBITMQ_NODENAME={node.NodeName}";
        var found = new List<Process>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "comm")).Trim() == "beam.smp"
                    && File.ReadAllText(Path.Combine(directory, "environ")).Split('\0').Contains(marker))
                {
                    found.Add(Process.GetProcessById(pid));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                // Gone meanwhile, or another user's.
            }
        }

        return found;
    }

    public static bool IsRunning(RabbitMQExecutableResource node)
    {
        var processes = Find(node);
        foreach (var process in processes)
        {
            process.Dispose();
        }

        return processes.Count > 0;
    }

    /// <summary>SIGKILLs the node's VM; returns how many processes were killed.</summary>
    public static int Kill(RabbitMQExecutableResource node)
    {
        var processes = Find(node);
        foreach (var process in processes)
        {
            using (process)
            {
                process.Kill();
            }
        }

        return processes.Count;
    }
}
