using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Onboarding.Tests.Infrastructure;
using Xunit.v3;

[assembly: HungTestReporter]

namespace Onboarding.Tests.Infrastructure;

/// <summary>
/// Names, on standard error, every test that has been running for more than <see cref="ReportAfter"/>, and again each
/// time as long again passes. A test waiting on something that never comes (a fake clock's timer registered after the
/// clock moved, say) would otherwise hang the run silently until CI kills it, with nothing in the log to say which.
/// <c>dotnet test</c> shows neither the test process's standard error nor the platform's long-running notices, so the
/// names go to the file named by <c>ONBOARDING_HUNG_TESTS_LOG</c>, which <c>scripts/test.sh</c> prints after the run
/// (it also bounds the run with the platform's <c>--timeout</c>); without it, to standard error.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
internal sealed class HungTestReporter : BeforeAfterTestAttribute
{
    public static readonly TimeSpan ReportAfter = TimeSpan.FromMinutes(5);

    // By the test's unique id: when it started, its name, and how many periods of ReportAfter were reported.
    private static readonly ConcurrentDictionary<string, (long Started, string Name)> Running = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, int> Reported = new(StringComparer.Ordinal);

    private static readonly string? LogFile = Environment.GetEnvironmentVariable("ONBOARDING_HUNG_TESTS_LOG");

    // Started once, with the first test; a timer, not a thread, so it never keeps the process alive.
    private static readonly Timer Watch = new(static _ => Report(), null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));

    public override void Before(MethodInfo methodUnderTest, IXunitTest test)
    {
        GC.KeepAlive(Watch);
        Running[test.UniqueID] = (Stopwatch.GetTimestamp(), test.TestDisplayName);
    }

    public override void After(MethodInfo methodUnderTest, IXunitTest test)
    {
        Running.TryRemove(test.UniqueID, out _);
        Reported.TryRemove(test.UniqueID, out _);
    }

    private static void Report()
    {
        foreach (var (id, (started, name)) in Running)
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            var periods = (int)(elapsed / ReportAfter);
            if (periods >= 1 && Reported.GetValueOrDefault(id) < periods)
            {
                Reported[id] = periods;
                var line = $"[hung test?] {name} has been running for {elapsed.TotalMinutes:F0} min";
                if (string.IsNullOrEmpty(LogFile))
                {
                    // The process's own standard error: the test framework redirects Console.Error into the test's output.
                    using var error = new StreamWriter(Console.OpenStandardError());
                    error.WriteLine(line);
                }
                else
                {
                    File.AppendAllText(LogFile, line + Environment.NewLine);
                }
            }
        }
    }
}
