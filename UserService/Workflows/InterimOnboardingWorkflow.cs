using Onboarding.Contracts.Tasks;
using Onboarding.UserService.Application;

namespace Onboarding.UserService.Workflows;

/// <summary>
/// INTERIM onboarding until the workflow engine's <c>ApplyAsync(canvas)</c> exists: the seed's stages, run by
/// <see cref="InterimStageRunner"/>. The replacement builds the same shape as a canvas and reports its ids.
/// </summary>
internal sealed class InterimOnboardingWorkflow(InterimStageRunner runner) : IOnboardingWorkflow
{
    /// <summary>The seed's onboarding: a chain, a parallel group, then the finalizer.</summary>
    public static readonly IReadOnlyList<IReadOnlyList<string>> Stages =
    [
        [UserTasks.ValidateUserData],
        [UserTasks.CreateUserProfile],
        [UserTasks.AssignUserRole],
        [UserTasks.SendWelcomeEmail, UserTasks.CreateUserPreferences, UserTasks.SetupDefaultSettings, UserTasks.NotifyAdministrators],
        [UserTasks.FinalizeOnboarding],
    ];

    public async Task<OnboardingStarted> StartAsync(User user, CancellationToken cancellationToken = default)
    {
        var args = new UserTaskArgs(user.Id);
        var stages = Stages
            .Select(stage => (IReadOnlyList<StagedTask>)[.. stage.Select(name => new StagedTask(name, args, Guid.CreateVersion7().ToString()))])
            .ToList();
        await runner.StartAsync(stages, cancellationToken).ConfigureAwait(false);
        var steps = stages.SelectMany(s => s).ToDictionary(s => OnboardingSteps.ShortName(s.TaskName), s => s.TaskId, StringComparer.Ordinal);
        return new OnboardingStarted(stages[0][0].TaskId, steps);
    }
}

/// <summary>Onboarding step names as the API shows them: the task name without <c>user_service.tasks.</c>.</summary>
internal static class OnboardingSteps
{
    public static readonly IReadOnlyList<string> All =
        [.. InterimOnboardingWorkflow.Stages.SelectMany(s => s).Select(ShortName)];

    public static string ShortName(string taskName) => taskName[(taskName.LastIndexOf('.') + 1)..];
}
