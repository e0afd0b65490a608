using Onboarding.UserService.Application;

namespace Onboarding.UserService.Workflows;

/// <summary>
/// Starts a new user's onboarding. The target shape is the seed's: chain(validate_user_data → create_user_profile
/// → assign_user_role) → group(send_welcome_email, create_user_preferences, setup_default_settings,
/// notify_administrators) → finalize_onboarding, sent as one canvas by <see cref="OnboardingWorkflow"/>.
/// </summary>
internal interface IOnboardingWorkflow
{
    /// <summary>Starts the workflow; answers the id to report and each step's task id (for the status endpoint).</summary>
    Task<OnboardingStarted> StartAsync(User user, CancellationToken cancellationToken = default);
}

/// <param name="OnboardingId">The workflow's root id (the first step's task id): the status tree starts there.</param>
/// <param name="StepTasks">Step name (the task's short name) → task id.</param>
internal sealed record OnboardingStarted(string OnboardingId, IReadOnlyDictionary<string, string> StepTasks);
