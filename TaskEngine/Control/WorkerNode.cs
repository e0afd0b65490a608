using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Monitoring;

namespace Onboarding.TaskEngine.Control;

/// <summary>
/// This worker as a node of a Celery fleet: its node name (<c>Worker:Hostname</c>), and its presence on the event
/// stream: <c>worker-online</c> at start, a <c>worker-heartbeat</c> every <see cref="HeartbeatInterval"/> (with
/// Celery's freq, active, processed, loadavg and sw_* fields, which monitors use to tell a live worker from a dead
/// one), <c>worker-offline</c> when it stops. Worker events are sent whether or not task events are on, as Celery
/// sends them. Registered before the worker loop, so events carry the node name from the first task on, and stopped
/// after it, so <c>worker-offline</c> follows the drain.
/// </summary>
internal sealed class WorkerNode(
    EventDispatcher dispatcher,
    WorkerState state,
    IOptions<TaskWorkerOptions> options,
    TimeProvider timeProvider) : IHostedService, IAsyncDisposable
{
    /// <summary>Celery sends a heartbeat every 2 s; monitors expect one within twice that.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(2);

    public const string SoftwareIdent = "onboarding-taskengine";

    public static readonly string SoftwareVersion =
        typeof(WorkerNode).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";

    private readonly CancellationTokenSource _stop = new();
    private Task? _heartbeats;

    public string Name { get; } = NodeName.Resolve(options.Value.Hostname);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        dispatcher.Hostname = Name;
        dispatcher.TaskEventsEnabled = options.Value.Events;
        SendWorkerEvent(CeleryEventTypes.WorkerOnline);
        _heartbeats = HeartbeatLoopAsync(_stop.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_heartbeats is not null)
        {
            await _heartbeats.ConfigureAwait(false);
        }

        SendWorkerEvent(CeleryEventTypes.WorkerOffline);
    }

    /// <summary>Sends a heartbeat now (remote control's <c>heartbeat</c>).</summary>
    public void SendHeartbeat() => SendWorkerEvent(CeleryEventTypes.WorkerHeartbeat);

    public ValueTask DisposeAsync()
    {
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task HeartbeatLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(HeartbeatInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                SendHeartbeat();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private void SendWorkerEvent(string type) =>
        dispatcher.Send(type, null, (state, HeartbeatInterval.TotalSeconds), static (w, s) =>
        {
            w.WriteNumber("freq", s.TotalSeconds);
            w.WriteNumber("active", s.state.ActiveCount);
            w.WriteNumber("processed", s.state.Processed);
            w.WriteStartArray("loadavg");
            foreach (var load in LoadAverage())
            {
                w.WriteNumberValue(load);
            }

            w.WriteEndArray();
            w.WriteString("sw_ident", SoftwareIdent);
            w.WriteString("sw_ver", SoftwareVersion);
            w.WriteString("sw_sys", OperatingSystem.IsLinux() ? "Linux" : OperatingSystem.IsWindows() ? "Windows" : OperatingSystem.IsMacOS() ? "Darwin" : "Unknown");
        });

    // Celery sends os.getloadavg() rounded to two places; where the system has none, zeros.
    private static double[] LoadAverage()
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                var parts = File.ReadAllText("/proc/loadavg").Split(' ');
                return [Parse(parts[0]), Parse(parts[1]), Parse(parts[2])];
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or IndexOutOfRangeException or FormatException)
        {
            // Reported as zeros.
        }

        return [0, 0, 0];

        static double Parse(string text) => Math.Round(double.Parse(text, CultureInfo.InvariantCulture), 2);
    }
}
