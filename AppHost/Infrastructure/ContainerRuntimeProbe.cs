using System.ComponentModel;
using System.Diagnostics;

namespace Onboarding.AppHost.Infrastructure;

/// <summary>
/// Asks the container runtime's CLI whether its engine answers. DCP's own check comes too late (after Build) to choose
/// resources, and a Docker CLI without an engine would leave container resources "Runtime unhealthy" forever.
/// </summary>
internal static class ContainerRuntimeProbe
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    public static bool Answers(string runtime)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            // Drain both pipes so a chatty `info` cannot block on a full buffer.
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(ProbeTimeout))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (Win32Exception)
        {
            // No such CLI on this machine.
            return false;
        }
    }
}
