namespace Onboarding.UserService.Application;

// Request bodies. Every property is nullable: a missing field is a 400 from the validator, never a binding error.

public sealed record CreateUserRequest(string? Email, string? FirstName, string? LastName, string? Password, string? Phone);

public sealed record UpdateProfileRequest(string? FirstName, string? LastName, string? Phone);

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

public sealed record LoginRequest(string? Email, string? Password);
