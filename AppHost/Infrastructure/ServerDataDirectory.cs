using System.Diagnostics;

namespace Onboarding.AppHost.Infrastructure;

/// <summary>
/// The working directory, HOME and data folder of one local server. Persistent ones live under the configured data
/// directory and survive restarts like a container volume; ephemeral ones are per AppHost run and are removed by a
/// later run once the AppHost that made them has exited (DCP, not the AppHost, stops the servers, so the AppHost
/// cannot delete them itself).
/// </summary>
internal sealed record ServerDataDirectory(string Path, string InstanceSuffix)
{
    private const string EphemeralRootName = "onboarding-local-infrastructure";

    public static ServerDataDirectory Create(string resourceName, InfrastructureSettings settings, string appHostDirectory)
    {
        if (settings.PersistentData)
        {
            var root = settings.DataDirectory ?? System.IO.Path.Combine(appHostDirectory, ".data");
            var path = System.IO.Path.Combine(root, resourceName);
            CreatePrivateDirectory(path);
            return new ServerDataDirectory(path, "onboarding");
        }

        var ephemeralRoot = System.IO.Path.Combine(System.IO.Path.GetTempPath(), EphemeralRootName);
        RemoveStale(ephemeralRoot);
        var suffix = $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        var ephemeralPath = System.IO.Path.Combine(ephemeralRoot, $"{resourceName}-{suffix}");
        CreatePrivateDirectory(ephemeralPath);
        return new ServerDataDirectory(ephemeralPath, suffix);
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    // Folder names end in -<apphost pid>-<guid8>; a folder whose AppHost is gone is no longer used by anyone.
    private static void RemoveStale(string root)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        foreach (var directory in Directory.EnumerateDirectories(root))
        {
            var parts = System.IO.Path.GetFileName(directory).Split('-');
            if (parts.Length < 3 || !int.TryParse(parts[^2], out var pid) || IsRunning(pid))
            {
                continue;
            }

            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A server of that run may still be shutting down; the next run tries again.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
