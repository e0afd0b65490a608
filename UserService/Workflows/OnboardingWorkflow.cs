using Onboarding.Contracts.Tasks;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Workflows;
using Onboarding.UserService.Application;

namespace Onboarding.UserService.Workflows;

/// <summary>
/// The seed's onboarding as one canvas sent with <see cref="IWorkflowClient.ApplyAsync"/>:
/// chain(validate_user_data → create_user_profile → assign_user_role) → group(send_welcome_email,
/// create_user_preferences, setup_default_settings, notify_administrators) → finalize_onboarding. The planner turns
/// the group followed by a task into a chord, so finalize_onboarding runs once, after all four. Every step is
/// immutable and carries its own <c>user_id</c> kwarg (the seed's steps do not read the parent's result). Step ids
/// are chosen here, so the user records them before any step runs.
/// </summary>
internal sealed class OnboardingWorkflow(IWorkflowClient workflows) : IOnboardingWorkflow
{
    public async Task<OnboardingStarted> StartAsync(User user, CancellationToken cancellationToken = default)
    {
        var steps = new WorkflowStepIds("user_id", user.Id);
        var canvas = Chain.Of(
            steps.Step(UserTasks.ValidateUserData),
            steps.Step(UserTasks.CreateUserProfile),
            steps.Step(UserTasks.AssignUserRole),
            Group.Of(
                steps.Step(UserTasks.SendWelcomeEmail),
                steps.Step(UserTasks.CreateUserPreferences),
                steps.Step(UserTasks.SetupDefaultSettings),
                steps.Step(UserTasks.NotifyAdministrators)),
            steps.Step(UserTasks.FinalizeOnboarding));
        var result = await workflows.ApplyAsync(canvas, cancellationToken).ConfigureAwait(false);
        return new OnboardingStarted(result.RootId, steps.TaskIds);
    }
}

/// <summary>Onboarding step names as the API shows them: the task name without <c>user_service.tasks.</c>.</summary>
internal static class OnboardingSteps
{
    public static readonly IReadOnlyList<string> All =
    [
        .. new[]
        {
            UserTasks.ValidateUserData, UserTasks.CreateUserProfile, UserTasks.AssignUserRole, UserTasks.SendWelcomeEmail,
            UserTasks.CreateUserPreferences, UserTasks.SetupDefaultSettings, UserTasks.NotifyAdministrators,
            UserTasks.FinalizeOnboarding,
        }.Select(WorkflowStepIds.StepName),
    ];
}
