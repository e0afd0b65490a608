using System.Globalization;
using Onboarding.Faults;

// The fault suite: real RabbitMQ and Redis (private, through the AppHost), real Workers processes, a Python Celery
// client as the sender; faults injected under load; one markdown table on stdout, progress on stderr.
FaultOptions options;
try
{
    options = FaultOptions.Parse(args);
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + FaultOptions.Usage);
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Stop the scenarios, then let the disposals below kill the workers and stop the servers.
    e.Cancel = true;
    cancellation.Cancel();
};

var directory = Path.Combine(Path.GetTempPath(), "onboarding-faults", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
Directory.CreateDirectory(directory);
await Console.Error.WriteLineAsync($"Worker logs and execution logs: {directory}");
await using var servers = await FaultServers.StartAsync(Console.Error, cancellation.Token);
var started = DateTime.UtcNow;
var outcomes = await FaultSuite.RunAsync(new FaultRun(servers, options, Console.Error, directory), cancellation.Token);

Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Fault suite{(options.Quick ? " (--quick)" : string.Empty)}, {started:yyyy-MM-dd HH:mm} UTC, {(DateTime.UtcNow - started).TotalMinutes:0.0} min"));
Console.WriteLine();
Console.Write(FaultReport.ToMarkdown(outcomes));
return outcomes.All(o => o.Holds) ? 0 : 1;
