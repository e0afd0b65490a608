using System.Text.RegularExpressions;
using Onboarding.Contracts.Http;

namespace Onboarding.UserService.Application;

/// <summary>The input rules of the users API; each method answers the errors by field (empty when valid).</summary>
internal static partial class UserValidation
{
    public const int MaxEmailLength = 254;
    public const int MaxNameLength = 100;
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 128;

    public static Dictionary<string, string[]> Validate(CreateUserRequest? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request is null)
        {
            errors["body"] = ["A JSON body is required."];
            return errors;
        }

        CheckEmail(request.Email, errors);
        CheckName("firstName", request.FirstName, required: true, errors);
        CheckName("lastName", request.LastName, required: true, errors);
        CheckPassword("password", request.Password, errors);
        CheckPhone(request.Phone, errors);
        return errors;
    }

    public static Dictionary<string, string[]> Validate(UpdateProfileRequest? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request is null || (request.FirstName is null && request.LastName is null && request.Phone is null))
        {
            errors["body"] = ["Give at least one of firstName, lastName, phone."];
            return errors;
        }

        CheckName("firstName", request.FirstName, required: false, errors);
        CheckName("lastName", request.LastName, required: false, errors);
        CheckPhone(request.Phone, errors);
        return errors;
    }

    public static Dictionary<string, string[]> Validate(ChangePasswordRequest? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request is null)
        {
            errors["body"] = ["A JSON body is required."];
            return errors;
        }

        if (string.IsNullOrEmpty(request.CurrentPassword))
        {
            errors["currentPassword"] = ["The current password is required."];
        }
        else if (request.CurrentPassword.Length > MaxPasswordLength)
        {
            errors["currentPassword"] = [$"The current password must be at most {MaxPasswordLength} characters."];
        }

        CheckPassword("newPassword", request.NewPassword, errors);
        if (!errors.ContainsKey("newPassword") && request.NewPassword == request.CurrentPassword)
        {
            errors["newPassword"] = ["The new password must differ from the current one."];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Validate(LoginRequest? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request is null)
        {
            errors["body"] = ["A JSON body is required."];
            return errors;
        }

        if (string.IsNullOrWhiteSpace(request.Email) || request.Email.Length > MaxEmailLength)
        {
            errors["email"] = [$"The email is required (at most {MaxEmailLength} characters)."];
        }

        if (string.IsNullOrEmpty(request.Password) || request.Password.Length > MaxPasswordLength)
        {
            errors["password"] = [$"The password is required (at most {MaxPasswordLength} characters)."];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Validate(AssignRoleRequest? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request?.Role is not { } role || !UserRoles.All.Contains(role))
        {
            errors["role"] = [$"The role must be one of: {string.Join(", ", UserRoles.All)}."];
        }

        return errors;
    }

    /// <summary>Emails are compared and indexed trimmed and lower-case.</summary>
    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    private static void CheckEmail(string? email, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            errors["email"] = ["The email is required."];
        }
        else if (email.Trim().Length > MaxEmailLength || !EmailPattern().IsMatch(email.Trim()))
        {
            errors["email"] = [$"The email must be a valid address of at most {MaxEmailLength} characters."];
        }
    }

    private static void CheckName(string field, string? value, bool required, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            if (required)
            {
                errors[field] = [$"The {field} is required."];
            }

            return;
        }

        var trimmed = value.Trim();
        if (trimmed.Length == 0)
        {
            errors[field] = [$"The {field} must not be empty."];
        }
        else if (trimmed.Length > MaxNameLength)
        {
            errors[field] = [$"The {field} must be at most {MaxNameLength} characters."];
        }
        else if (!NamePattern().IsMatch(trimmed))
        {
            errors[field] = [$"The {field} may hold letters, spaces, apostrophes, dots and hyphens only."];
        }
    }

    private static void CheckPassword(string field, string? password, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(password))
        {
            errors[field] = ["The password is required."];
        }
        else if (password.Length is < MinPasswordLength or > MaxPasswordLength)
        {
            errors[field] = [$"The password must be {MinPasswordLength} to {MaxPasswordLength} characters."];
        }
        else if (!password.Any(char.IsLetter) || !password.Any(char.IsDigit))
        {
            errors[field] = ["The password must contain a letter and a digit."];
        }
    }

    private static void CheckPhone(string? phone, Dictionary<string, string[]> errors)
    {
        if (phone is not null && !PhonePattern().IsMatch(phone.Trim()))
        {
            errors["phone"] = ["The phone must be 6 to 20 digits, optionally with a leading + and spaces or dashes."];
        }
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"^[\p{L}\p{M}][\p{L}\p{M} '.\-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^\+?[0-9][0-9 \-]{4,18}[0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex PhonePattern();
}
