using System.Globalization;
using System.Text;

namespace Onboarding.Faults;

/// <summary>One row of the fault table: what was sent under one scenario and what became of it.</summary>
internal sealed record FaultOutcome
{
    public required string Scenario { get; init; }

    public required int Sent { get; init; }

    public required int Succeeded { get; init; }

    /// <summary>Tasks with no final result stored and not dead-lettered: a caller would wait for them forever.</summary>
    public required int Lost { get; init; }

    /// <summary>Tasks whose handler finished more than once (from the execution log of <c>diagnostics.record</c>).</summary>
    public required int RunTwice { get; init; }

    /// <summary>Tasks that should have succeeded but were stored as FAILURE (or REVOKED).</summary>
    public required int WronglyFailed { get; init; }

    public required int DeadLettered { get; init; }

    /// <summary>From the fault's end until the workers complete tasks again (the longest, when there are several).</summary>
    public TimeSpan? TimeToRecover { get; init; }

    /// <summary>Worker processes that ended without being killed by the suite.</summary>
    public required int WorkerExits { get; init; }

    /// <summary>Chord callbacks sent more than once (0 where the scenario has no chord).</summary>
    public int DuplicateCallbacks { get; init; }

    /// <summary>Malformed messages that ran as if valid, instead of being dead-lettered or failed readably.</summary>
    public int Mishandled { get; init; }

    /// <summary>Sends that neither returned nor threw within the bound a caller can wait (0 where no scenario publisher waits on confirms).</summary>
    public int HungSends { get; init; }

    public string Notes { get; init; } = string.Empty;

    /// <summary>The scenario could not run to the end (its exception is in <see cref="Notes"/>).</summary>
    public bool Failed { get; init; }

    /// <summary>The row of a scenario that could not run to its end.</summary>
    public static FaultOutcome Unfinished(string scenario, string notes) => new()
    {
        Scenario = scenario,
        Sent = 0,
        Succeeded = 0,
        Lost = 0,
        RunTwice = 0,
        WronglyFailed = 0,
        DeadLettered = 0,
        WorkerExits = 0,
        Notes = notes,
        Failed = true,
    };

    /// <summary>What must hold in every scenario: nothing lost, nothing wrongly failed, one callback, no worker exit,
    /// no malformed message run as valid, no send hung.</summary>
    public bool Holds => !Failed && Lost == 0 && WronglyFailed == 0 && DuplicateCallbacks == 0 && WorkerExits == 0 && Mishandled == 0 && HungSends == 0;
}

/// <summary>The fault suite's one markdown table.</summary>
internal static class FaultReport
{
    public static string ToMarkdown(IEnumerable<FaultOutcome> outcomes)
    {
        var text = new StringBuilder();
        text.AppendLine("| scenario | tasks sent | succeeded | lost | run twice | wrongly FAILURE | dead-lettered | time to recover | worker exits | notes |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var o in outcomes)
        {
            var recover = o.TimeToRecover is { } t ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.0} s") : "—";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {o.Scenario} | {o.Sent:N0} | {o.Succeeded:N0} | {o.Lost:N0} | {o.RunTwice:N0} | {o.WronglyFailed:N0} | {o.DeadLettered:N0} | {recover} | {o.WorkerExits} | {o.Notes.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }

        return text.ToString();
    }
}
