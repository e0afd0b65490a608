using System.Diagnostics;
using System.Text.Json;
using RabbitMQ.Client;

namespace Onboarding.Benchmarks;

/// <summary>
/// W4 and W5 on real Celery (Debian's python3-celery), on the same broker and Redis, in the same run: the reference
/// the issue compares against, measured beside ours instead of quoted. <c>celery/celery_reference.py</c> starts a
/// <c>celery worker</c> with Celery's defaults, measures as <see cref="Workloads"/> does and prints JSON.
/// </summary>
internal static class CeleryReference
{
    private const string Python = "/usr/bin/python3";

    public static async Task<IReadOnlyList<BenchmarkRow>> RunAsync(
        BenchmarkInfrastructure infrastructure, BenchmarkOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "celery", "celery_reference.py");
        if (!await CeleryIsInstalledAsync(cancellationToken).ConfigureAwait(false))
        {
            return [Unavailable("W4 Celery"), Unavailable("W5 Celery")];
        }

        var queue = EngineHost.NewQueueName("celery");
        var w4Runs = options.Scale(300);
        var w5Size = options.Quick ? 100 : 1_000;
        const int w5Runs = 5;
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[script, infrastructure.RabbitMqConnectionString, infrastructure.RedisConnectionString, queue,
            Invariant(w4Runs), Invariant(w5Size), Invariant(w5Runs)])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PYTHONUNBUFFERED"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                log.WriteLine(line);
            }
        };
        process.BeginErrorReadLine();
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        await DeleteQueueAsync(infrastructure, queue, cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The Celery reference run failed (exit code {process.ExitCode}); its log is above.");
        }

        using var document = JsonDocument.Parse(output);
        var root = document.RootElement;
        var version = root.GetProperty("celery").GetString();
        var pool = root.GetProperty("pool").GetString();
        var w4 = root.GetProperty("w4");
        var w5 = root.GetProperty("w5");
        double Read(JsonElement element, string name) => element.GetProperty(name).GetDouble();
        var notes = $"Celery {version} (Debian's python3-celery), {pool}, its defaults (acks on receipt, no publisher confirms, prefetch 4), same broker and Redis.";
        return
        [
            new BenchmarkRow
            {
                Id = "W4 Celery",
                Workload = FormattableString.Invariant($"W4 on Celery: `chain(noop.si() x 4).apply_async().get()`, {w4Runs:N0} sequential runs"),
                Target = "reference",
                Measured = $"p50 {BenchmarkReport.Milliseconds(Read(w4, "p50Ms"))}, p95 {BenchmarkReport.Milliseconds(Read(w4, "p95Ms"))}, p99 {BenchmarkReport.Milliseconds(Read(w4, "p99Ms"))}",
                Reference = "issue: Celery p50 4.3 ms",
                Notes = notes,
                Values = new Dictionary<string, double>
                {
                    ["p50Ms"] = Read(w4, "p50Ms"),
                    ["p95Ms"] = Read(w4, "p95Ms"),
                    ["p99Ms"] = Read(w4, "p99Ms"),
                    ["runs"] = w4Runs,
                },
            },
            new BenchmarkRow
            {
                Id = "W5 Celery",
                Workload = FormattableString.Invariant($"W5 on Celery: `chord([noop.si()] x {w5Size:N0})(noop.si()).get()`, {w5Runs} runs"),
                Target = "reference",
                Measured = FormattableString.Invariant($"median {Read(w5, "medianMs"):N0} ms (min {Read(w5, "minMs"):N0} ms, max {Read(w5, "maxMs"):N0} ms)"),
                Reference = "issue: Celery 2,000 ms",
                Notes = notes,
                Values = new Dictionary<string, double>
                {
                    ["medianMs"] = Read(w5, "medianMs"),
                    ["minMs"] = Read(w5, "minMs"),
                    ["maxMs"] = Read(w5, "maxMs"),
                    ["size"] = w5Size,
                    ["runs"] = w5Runs,
                },
            },
        ];
    }

    private static async Task<bool> CeleryIsInstalledAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Python))
        {
            return false;
        }

        using var probe = Process.Start(new ProcessStartInfo(Python, ["-c", "import celery, redis"])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        });
        if (probe is null)
        {
            return false;
        }

        await probe.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return probe.ExitCode == 0;
    }

    // The worker declared it; nothing else will use it.
    private static async Task DeleteQueueAsync(BenchmarkInfrastructure infrastructure, string queue, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = new Uri(infrastructure.RabbitMqConnectionString) };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static BenchmarkRow Unavailable(string id) => new()
    {
        Id = id,
        Workload = "the same workload on real Celery",
        Target = "reference",
        Measured = "not available",
        Notes = $"{Python} cannot import celery and redis: `scripts/install-prerequisites.sh --celery` installs Debian's python3-celery.",
    };

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
