using System.Runtime;

namespace Onboarding.Benchmarks;

/// <summary>Runs the selected workloads against running servers and collects the report.</summary>
public static class BenchmarkHarness
{
    public static async Task<BenchmarkReport> RunAsync(
        BenchmarkOptions options, BenchmarkInfrastructure infrastructure, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(infrastructure);
        ArgumentNullException.ThrowIfNull(log);
        var report = new BenchmarkReport
        {
            StartedAt = DateTimeOffset.UtcNow,
            Machine = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, " +
                $".NET {Environment.Version}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC",
            Infrastructure = infrastructure.Source,
            Quick = options.Quick,
        };

        foreach (var id in BenchmarkOptions.AllWorkloads.Where(options.Runs))
        {
            await log.WriteLineAsync($"{id} ...").ConfigureAwait(false);
            switch (id)
            {
                case "W1":
                    report.Rows.Add(await Workloads.FireAndForgetAsync(infrastructure, options, log, cancellationToken).ConfigureAwait(false));
                    break;
                case "W2":
                    report.Rows.Add(await Workloads.WithResultsAsync(infrastructure, options, log, cancellationToken).ConfigureAwait(false));
                    break;
                case "W3":
                    report.Rows.Add(await Workloads.RoundTripAsync(infrastructure, options, log, cancellationToken).ConfigureAwait(false));
                    break;
                case "W4":
                    report.Rows.Add(await Workloads.ChainAsync(infrastructure, options, log, cancellationToken).ConfigureAwait(false));
                    break;
                case "W5":
                    report.Rows.Add(await Workloads.ChordAsync(infrastructure, options, log, cancellationToken).ConfigureAwait(false));
                    break;
                case "RSS":
                    report.Rows.Add(await WorkerMemory.RunAsync(infrastructure, options, log, cancellationToken).ConfigureAwait(false));
                    break;
                case "PROFILE":
                    await HotPathProfile.RunAsync(infrastructure, options, report, log, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        return report;
    }
}
