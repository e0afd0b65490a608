using Onboarding.Benchmarks;

if (args.Contains("--worker"))
{
    return await BenchmarkWorker.RunAsync(args);
}

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + BenchmarkOptions.Usage);
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

await using var infrastructure = await BenchmarkInfrastructure.StartAsync(Console.Error, cancellation.Token);
if (infrastructure.HostsAppHost)
{
    // The orchestrator's background work (resource watchers, health checks, log streams) does not belong in the
    // process that plays client and worker: the workloads run in a child that only gets the servers' addresses.
    return await MeasuringProcess.RunAsync(args, infrastructure, cancellation.Token);
}

var report = await BenchmarkHarness.RunAsync(options, infrastructure, Console.Error, cancellation.Token);
Console.WriteLine();
Console.WriteLine(report.ToMarkdown());
if (options.JsonPath is { } path)
{
    await File.WriteAllTextAsync(path, report.ToJson(), cancellation.Token);
    await Console.Error.WriteLineAsync($"Wrote {path}");
}

return 0;
