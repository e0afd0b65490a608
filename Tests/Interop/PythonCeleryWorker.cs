using System.Diagnostics;

namespace Onboarding.Tests.Interop;

/// <summary>A real <c>celery worker</c> process consuming the given queues until disposed.</summary>
internal sealed class PythonCeleryWorker : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _log = [];
    private readonly string _readyMarker;

    private PythonCeleryWorker(Process process, string readyMarker)
    {
        _process = process;
        _readyMarker = readyMarker;
    }

    public IReadOnlyList<string> Log
    {
        get
        {
            lock (_log)
            {
                return [.. _log];
            }
        }
    }

    /// <summary>
    /// Starts a worker on <paramref name="queues"/>; <paramref name="nodeName"/> (default a random <c>py-…@localhost</c>)
    /// and <paramref name="events"/> (<c>-E</c>, with heartbeats on) make it a visible member of an operated fleet.
    /// </summary>
    public static Task<PythonCeleryWorker> StartAsync(
        Dictionary<string, string> environment, string queues, CancellationToken cancellationToken, string? nodeName = null, bool events = false)
        => StartAsync(environment, queues, " ready.", cancellationToken, nodeName, events);

    /// <summary>Starts a worker on <paramref name="queues"/> and returns once its log has a line with <paramref name="logText"/>.</summary>
    public static Task<PythonCeleryWorker> StartUntilLogAsync(
        Dictionary<string, string> environment, string queues, string logText, CancellationToken cancellationToken)
        => StartAsync(environment, queues, logText, cancellationToken, nodeName: null, events: false);

    private static async Task<PythonCeleryWorker> StartAsync(
        Dictionary<string, string> environment, string queues, string readyMarker, CancellationToken cancellationToken, string? nodeName, bool events)
    {
        var start = PythonCelery.NewProcess(environment,
        [
            "-m", "celery", "-A", "interop_app", "worker",
            "-Q", queues, "-c", "2", "-P", "threads", "--loglevel", "INFO",
            "-n", nodeName ?? $"py-{Guid.NewGuid():N}@localhost",
            "--without-gossip", "--without-mingle", .. (events ? (string[])["-E"] : ["--without-heartbeat"]),
        ]);
        var process = Process.Start(start) ?? throw new InvalidOperationException("celery worker did not start.");
        var worker = new PythonCeleryWorker(process, readyMarker);
        process.OutputDataReceived += (_, e) => worker.Record(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await worker._ready.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }

        return worker;
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            _ready.TrySetException(new InvalidOperationException("celery worker exited: " + string.Join('\n', Log)));
            return;
        }

        lock (_log)
        {
            _log.Add(line);
        }

        // Celery logs "celery@host ready." once it consumes.
        if (line.Contains(_readyMarker, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // Warm shutdown first, like a container stop; then make sure.
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
