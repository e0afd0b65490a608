using Microsoft.Extensions.Options;
using Onboarding.Contracts.Http;
using Onboarding.Contracts.Tasks;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.Workers.Clients;

namespace Onboarding.Workers.Tasks.Users;

// The onboarding steps. Each changes UserService (and NotificationService) through their APIs and records itself as
// done with an idempotent call, so a redelivered or retried step has no second effect.

/// <summary>The result every onboarding step stores.</summary>
public sealed record OnboardingStepResult(string UserId, string Step, string UserStatus);

/// <summary>Settings of the onboarding tasks (section <c>Onboarding</c>).</summary>
public sealed class OnboardingTaskOptions
{
    public const string SectionName = "Onboarding";

    [System.ComponentModel.DataAnnotations.Required, System.ComponentModel.DataAnnotations.EmailAddress]
    public string AdministratorEmail { get; set; } = "admin@onboarding.local";
}

internal static class OnboardingStep
{
    public static string Of(TaskContext context) => context.Name[(context.Name.LastIndexOf('.') + 1)..];

    public static async ValueTask<object?> CompleteAsync(UserServiceClient users, string userId, TaskContext context, CancellationToken cancellationToken)
    {
        var user = await users.CompleteStepAsync(userId, Of(context), cancellationToken);
        return new OnboardingStepResult(userId, Of(context), user.Status);
    }
}

/// <summary><c>validate_user_data</c>: the stored user has a plausible email and names.</summary>
internal sealed class ValidateUserDataHandler(UserServiceClient users) : ITaskHandler<UserTaskArgs>
{
    public async ValueTask<object?> HandleAsync(UserTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var user = await users.GetUserAsync(args.UserId, cancellationToken);
        if (!user.Email.Contains('@', StringComparison.Ordinal) || string.IsNullOrWhiteSpace(user.FirstName) || string.IsNullOrWhiteSpace(user.LastName))
        {
            throw new InvalidOperationException($"User {user.Id} has incomplete data.");
        }

        return await OnboardingStep.CompleteAsync(users, args.UserId, context, cancellationToken);
    }
}

/// <summary><c>create_user_profile</c>: marks the profile created.</summary>
internal sealed class CreateUserProfileHandler(UserServiceClient users) : ITaskHandler<UserTaskArgs>
{
    public ValueTask<object?> HandleAsync(UserTaskArgs args, TaskContext context, CancellationToken cancellationToken) =>
        OnboardingStep.CompleteAsync(users, args.UserId, context, cancellationToken);
}

/// <summary><c>assign_user_role</c>: gives the default role.</summary>
internal sealed class AssignUserRoleHandler(UserServiceClient users) : ITaskHandler<UserTaskArgs>
{
    public async ValueTask<object?> HandleAsync(UserTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        await users.AssignRoleAsync(args.UserId, "user", cancellationToken);
        return await OnboardingStep.CompleteAsync(users, args.UserId, context, cancellationToken);
    }
}

/// <summary><c>send_welcome_email</c>: one welcome email (idempotent by task id).</summary>
internal sealed class SendWelcomeEmailHandler(UserServiceClient users, NotificationServiceClient notifications) : ITaskHandler<UserTaskArgs>
{
    public async ValueTask<object?> HandleAsync(UserTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var user = await users.GetUserAsync(args.UserId, cancellationToken);
        await notifications.SendEmailAsync(new SendEmailRequest(
            user.Email,
            "Welcome to Onboarding!",
            $"Hello {user.FirstName}, your account is ready.",
            "account",
            context.Id,
            user.Id), cancellationToken);
        return await OnboardingStep.CompleteAsync(users, args.UserId, context, cancellationToken);
    }
}

/// <summary><c>create_user_preferences</c>: stores the default notification preferences unless the user set some.</summary>
internal sealed class CreateUserPreferencesHandler(UserServiceClient users, NotificationServiceClient notifications) : ITaskHandler<UserTaskArgs>
{
    public async ValueTask<object?> HandleAsync(UserTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        await notifications.EnsurePreferencesAsync(args.UserId, cancellationToken);
        return await OnboardingStep.CompleteAsync(users, args.UserId, context, cancellationToken);
    }
}

/// <summary><c>setup_default_settings</c>: marks the default settings applied.</summary>
internal sealed class SetupDefaultSettingsHandler(UserServiceClient users) : ITaskHandler<UserTaskArgs>
{
    public ValueTask<object?> HandleAsync(UserTaskArgs args, TaskContext context, CancellationToken cancellationToken) =>
        OnboardingStep.CompleteAsync(users, args.UserId, context, cancellationToken);
}

/// <summary><c>notify_administrators</c>: tells the administrators about the new user.</summary>
internal sealed class NotifyAdministratorsHandler(UserServiceClient users, NotificationServiceClient notifications, IOptions<OnboardingTaskOptions> options)
    : ITaskHandler<UserTaskArgs>
{
    public async ValueTask<object?> HandleAsync(UserTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var user = await users.GetUserAsync(args.UserId, cancellationToken);
        await notifications.SendEmailAsync(new SendEmailRequest(
            options.Value.AdministratorEmail,
            "New user registered",
            $"{user.FirstName} {user.LastName} <{user.Email}> registered (user {user.Id}).",
            "general",
            context.Id), cancellationToken);
        return await OnboardingStep.CompleteAsync(users, args.UserId, context, cancellationToken);
    }
}

/// <summary><c>finalize_onboarding</c>: activates the user.</summary>
internal sealed class FinalizeOnboardingHandler(UserServiceClient users) : ITaskHandler<UserTaskArgs>
{
    public ValueTask<object?> HandleAsync(UserTaskArgs args, TaskContext context, CancellationToken cancellationToken) =>
        OnboardingStep.CompleteAsync(users, args.UserId, context, cancellationToken);
}

/// <summary><c>update_user_profile</c>: tells OrderService and NotificationService (their <c>/api/user-updated</c>).</summary>
internal sealed class UpdateUserProfileHandler(UserServiceClient users, OrderServiceClient orders, NotificationServiceClient notifications)
    : ITaskHandler<UpdateUserProfileArgs>
{
    public async ValueTask<object?> HandleAsync(UpdateUserProfileArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var user = await users.GetUserAsync(args.UserId, cancellationToken);
        var notification = new UserUpdatedNotification(user.Id, user.Email, args.ChangedFields);
        await orders.NotifyUserUpdatedAsync(notification, cancellationToken);
        await notifications.NotifyUserUpdatedAsync(notification, cancellationToken);
        return new { user_id = user.Id, notified = new[] { "orderservice", "notificationservice" } };
    }
}
