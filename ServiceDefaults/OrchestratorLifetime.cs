using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Stops the application when the local AppHost that started it has ended (Ctrl+C), instead of waiting to be killed.
/// </summary>
/// <remarks>
/// Under <c>dotnet run --project AppHost</c> the orchestrator starts each project through <c>dotnet run</c> and stops it
/// by sending SIGTERM to that <c>dotnet run</c>, which does not pass the signal on to the application. It kills
/// <c>dotnet run</c> 6 s later and the orphaned application about 6 s after that: Ctrl+C took 16 s, and a worker never
/// drained (its tasks were killed mid-run and ran again after the next start). The AppHost itself exits within a
/// fraction of a second of Ctrl+C, so its end is the signal. The AppHost passes its process id in
/// <see cref="VariableName"/> in local runs only; deployed applications never see it and keep their platform's SIGTERM.
/// </remarks>
internal sealed partial class OrchestratorLifetime(
    IHostApplicationLifetime lifetime,
    IServiceProvider services,
    ILogger<OrchestratorLifetime> logger,
    int appHostProcessId) : BackgroundService
{
    public const string VariableName = "ONBOARDING_APPHOST_PID";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static int? AppHostProcessId(string? value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 1 ? pid : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval);
        try
        {
            while (IsRunning(appHostProcessId))
            {
                await timer.WaitForNextTickAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        AppHostEnded(logger, appHostProcessId);

        // The dashboard that receives the telemetry ends with the AppHost. Flushing to it at exit would hold the process
        // for up to 5 s per signal (traces, metrics, logs, one after the other) until the orchestrator kills it.
        services.GetService<TracerProvider>()?.Shutdown(0);
        services.GetService<MeterProvider>()?.Shutdown(0);
        services.GetService<LoggerProvider>()?.Shutdown(0);
        lifetime.StopApplication();
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    [LoggerMessage(1, LogLevel.Information, "The AppHost (process {ProcessId}) has ended; stopping")]
    private static partial void AppHostEnded(ILogger logger, int processId);
}
