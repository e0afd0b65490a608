using System.ComponentModel.DataAnnotations;

namespace Onboarding.UserService.Application;

// Request bodies. Every property is nullable: a missing field is a 400 from the validator, never a binding error.
// [Required] marks what the validator requires, for the OpenAPI document (RequiredPropertiesSchemaTransformer).

public sealed record CreateUserRequest([Required] string? Email, [Required] string? FirstName, [Required] string? LastName, [Required] string? Password, string? Phone);

public sealed record UpdateProfileRequest(string? FirstName, string? LastName, string? Phone);

public sealed record ChangePasswordRequest([Required] string? CurrentPassword, [Required] string? NewPassword);

public sealed record LoginRequest([Required] string? Email, [Required] string? Password);
