namespace Onboarding.Workers;

/// <summary>
/// The worker's command line, shaped like <c>celery worker -Q a,b -c N</c>: <c>--queues a,b</c> and
/// <c>--concurrency N</c> land in the <c>Worker</c> configuration section, next to appsettings and environment.
/// </summary>
internal static class WorkerCommandLine
{
    public static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--queues"] = "Worker:Queues",
        ["-Q"] = "Worker:Queues",
        ["--concurrency"] = "Worker:Concurrency",
        ["-c"] = "Worker:Concurrency",
    };
}
