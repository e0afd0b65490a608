namespace Onboarding.Workers;

/// <summary>
/// The worker's command line, shaped like <c>celery worker -Q a,b -c N -B</c>: <c>--queues a,b</c>,
/// <c>--concurrency N</c> and <c>--beat</c> land in the <c>Worker</c> configuration section, next to appsettings and
/// environment.
/// </summary>
internal static class WorkerCommandLine
{
    public static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--queues"] = "Worker:Queues",
        ["-Q"] = "Worker:Queues",
        ["--concurrency"] = "Worker:Concurrency",
        ["-c"] = "Worker:Concurrency",
        ["--beat"] = "Worker:Beat",
        ["-B"] = "Worker:Beat",
    };

    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--beat", "-B" };

    /// <summary>
    /// Gives value-less flags a value (<c>--beat</c> → <c>--beat=true</c>), since the configuration command line
    /// reads the next argument as the value of a switch.
    /// </summary>
    public static string[] Normalize(string[] args)
    {
        var normalized = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var next = i + 1 < args.Length ? args[i + 1] : null;
            var hasValue = next is not null && (bool.TryParse(next, out _));
            normalized.Add(Flags.Contains(arg) && !hasValue ? arg + "=true" : arg);
        }

        return [.. normalized];
    }
}
