using System.Diagnostics;
using System.Text.Json;

namespace Onboarding.Cli.Connection;

/// <summary>
/// Reads the file a running AppHost writes with its RabbitMQ and Redis connection strings (local servers get a port
/// per run and generated passwords, which nothing else records), and checks that the AppHost that wrote it still runs.
/// </summary>
internal static class AppHostStateFile
{
    /// <summary>Points the CLI (and its tests) at another file than the AppHost's default.</summary>
    public const string PathVariable = "ONBOARDING_APPHOST_STATE";

    // The AppHost's default: Infrastructure:StateFile unset, persistent data.
    private static readonly string DefaultPath = Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
        "onboarding", "apphost.json");

    // Process start times read twice can differ by rounding; a reused pid starts seconds or more later.
    private static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(2);

    public static string PathFor(CliConsole console) => console.GetEnvironmentVariable(PathVariable) ?? DefaultPath;

    /// <summary>The connection strings of a live AppHost, or null with the reason none could be used.</summary>
    public static (string? RabbitMq, string? Redis, string? Problem) Read(string path)
    {
        if (!File.Exists(path))
        {
            return (null, null, $"no running AppHost has written {path}");
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            var pid = root.GetProperty("pid").GetInt32();
            var startedAt = root.GetProperty("startedAt").GetDateTimeOffset();
            if (!IsRunning(pid, startedAt))
            {
                return (null, null, $"the AppHost that wrote {path} (pid {pid}) is no longer running");
            }

            return (root.GetProperty("rabbitmq").GetString(), root.GetProperty("redis").GetString(), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException
            or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return (null, null, $"{path} cannot be read ({ex.Message})");
        }
    }

    private static bool IsRunning(int pid, DateTimeOffset startedAt)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited
                && (new DateTimeOffset(process.StartTime.ToUniversalTime()) - startedAt).Duration() <= StartTimeTolerance;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
