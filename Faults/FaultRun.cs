namespace Onboarding.Faults;

/// <summary>What every scenario of one run shares: the servers, the options, the progress log, the run's folder.</summary>
internal sealed record FaultRun(FaultServers Servers, FaultOptions Options, TextWriter Log, string Directory)
{
    public Task<ScenarioContext> StartScenarioAsync(string name, CancellationToken cancellationToken, int concurrency = 8) =>
        ScenarioContext.StartAsync(name, Servers, Options, Log, Directory, concurrency, cancellationToken);
}

/// <summary>One fault scenario; it reports one row or more (e.g. a short and a long outage).</summary>
internal interface IFaultScenario
{
    /// <summary>The id <c>--only</c> selects it by.</summary>
    string Id { get; }

    Task<IReadOnlyList<FaultOutcome>> RunAsync(FaultRun run, CancellationToken cancellationToken);
}
