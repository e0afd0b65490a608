using System.Diagnostics;

namespace Onboarding.TaskEngine.Diagnostics;

/// <summary>
/// Runs housekeeping whose client calls should leave no trace, under a parent activity that is not recorded.
/// </summary>
/// <remarks>
/// The Redis instrumentation of the Aspire client cannot be told to skip a command (its filter is internal): it
/// records each command as a child of <see cref="Activity.Current"/>, or as a new root trace when there is none. The
/// periodic scheduler polls its lease every 250 ms on every worker, and those root traces buried every user request in
/// the dashboard. Under a parent whose trace flags say "not sampled", the tracer's parent-based sampler drops the
/// children, so nothing is exported. The parent is created without an <see cref="ActivitySource"/>, so no listener
/// records it either. Work that should be traced (sending a due task) runs outside the scope. Public for the
/// applications' own housekeeping loops (the operations console's event ingestion).
/// </remarks>
public static class UnrecordedScope
{
    private const string OperationName = "onboarding.unrecorded";

    public static async Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        // An async method: the Activity.Current set here flows into work and is undone for the caller on return.
        Activity.Current = null;
        using var parent = new Activity(OperationName);
        parent.SetIdFormat(ActivityIdFormat.W3C);
        parent.ActivityTraceFlags = ActivityTraceFlags.None;
        parent.Start();
        return await work().ConfigureAwait(false);
    }

    public static Task RunAsync(Func<Task> work) =>
        RunAsync(async () =>
        {
            await work().ConfigureAwait(false);
            return true;
        });
}
