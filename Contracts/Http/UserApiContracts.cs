using System.ComponentModel.DataAnnotations;

namespace Onboarding.Contracts.Http;

// UserService's API as the workers see it (GET /api/users/{id}, the onboarding step endpoints).

/// <summary>A user as UserService answers it; never carries the password hash.</summary>
public sealed record UserResponse(
    string Id,
    string Email,
    string FirstName,
    string LastName,
    string? Phone,
    string Role,
    string Status,
    IReadOnlyList<string> CompletedSteps,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? LastLoginAt,
    int LoginCount);

/// <summary>Body of <c>PUT /api/users/{id}/role</c>.</summary>
public sealed record AssignRoleRequest([Required] string? Role);

/// <summary>The user statuses.</summary>
public static class UserStatuses
{
    public const string Onboarding = "onboarding";
    public const string Active = "active";
}

/// <summary>Body of the user-updated webhooks (<c>POST /api/user-updated</c> on OrderService and NotificationService).</summary>
public sealed record UserUpdatedNotification([Required] string? UserId, string? Email, IReadOnlyList<string>? ChangedFields);
