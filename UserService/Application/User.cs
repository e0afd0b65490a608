using Onboarding.Contracts.Http;

namespace Onboarding.UserService.Application;

/// <summary>A user as UserService stores it (JSON under <c>users:{id}</c>). Changes use <c>with</c>.</summary>
internal sealed record User
{
    public required string Id { get; init; }

    public required string Email { get; init; }

    public required string FirstName { get; init; }

    public required string LastName { get; init; }

    public string? Phone { get; init; }

    public required string PasswordHash { get; init; }

    public string Role { get; init; } = UserRoles.User;

    public string Status { get; init; } = UserStatuses.Onboarding;

    public IReadOnlyList<string> CompletedSteps { get; init; } = [];

    /// <summary>The onboarding workflow's root id: <c>IWorkflowStatusReader</c> reads the step tree from it.</summary>
    public string? OnboardingRootId { get; init; }

    /// <summary>Onboarding step name → the id of the task that runs it (ids chosen before the canvas is sent).</summary>
    public IReadOnlyDictionary<string, string> OnboardingTasks { get; init; } = new Dictionary<string, string>();

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public DateTimeOffset? LastLoginAt { get; init; }

    public int LoginCount { get; init; }

    public UserResponse ToResponse() => new(
        Id, Email, FirstName, LastName, Phone, Role, Status, CompletedSteps, CreatedAt, UpdatedAt, LastLoginAt, LoginCount);
}

/// <summary>The roles <c>assign_user_role</c> may give.</summary>
internal static class UserRoles
{
    public const string User = "user";
    public const string Admin = "admin";
    public const string Manager = "manager";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { User, Admin, Manager };
}
