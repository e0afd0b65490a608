using Onboarding.UserService.Application;

namespace Onboarding.Tests.Services;

public sealed class UserValidationTests
{
    [Fact]
    public void Validate_AcceptsAWellFormedUser()
    {
        var errors = UserValidation.Validate(new CreateUserRequest("ada@example.com", "Ada", "King-Lovelace", "Analytical1", "+44 20 7946 0958"));

        Assert.Empty(errors);
    }

    [Theory]
    [InlineData(null, "Ada", "King", "Analytical1", "email")]
    [InlineData("ada@", "Ada", "King", "Analytical1", "email")]
    [InlineData("ada example.com", "Ada", "King", "Analytical1", "email")]
    [InlineData("ada@example.com", "", "King", "Analytical1", "firstName")]
    [InlineData("ada@example.com", "Ada", null, "Analytical1", "lastName")]
    [InlineData("ada@example.com", "Ada<script>", "King", "Analytical1", "firstName")]
    [InlineData("ada@example.com", "Ada", "King", "short1", "password")]
    [InlineData("ada@example.com", "Ada", "King", "lettersonly", "password")]
    [InlineData("ada@example.com", "Ada", "King", "1234567890", "password")]
    public void Validate_NamesTheBadField_WhenAFieldIsInvalid(string? email, string? first, string? last, string? password, string field)
    {
        var errors = UserValidation.Validate(new CreateUserRequest(email, first, last, password, null));

        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public void Validate_RejectsAnEmptyProfileUpdateAndASamePasswordChange()
    {
        Assert.Contains("body", UserValidation.Validate(new UpdateProfileRequest(null, null, null)).Keys);
        Assert.Contains("newPassword", UserValidation.Validate(new ChangePasswordRequest("Analytical1", "Analytical1")).Keys);
        Assert.Empty(UserValidation.Validate(new ChangePasswordRequest("Analytical1", "Engine2024")));
    }

    [Fact]
    public void PasswordHashing_VerifiesTheRightPasswordOnly_WithASaltPerHash()
    {
        var hash = PasswordHashing.Hash("Analytical1");

        Assert.StartsWith("pbkdf2-sha256$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHashing.Verify("Analytical1", hash));
        Assert.False(PasswordHashing.Verify("analytical1", hash));
        Assert.NotEqual(hash, PasswordHashing.Hash("Analytical1"));
        Assert.False(PasswordHashing.Verify("Analytical1", "garbage"));
        Assert.False(PasswordHashing.Verify("Analytical1", "pbkdf2-sha256$1000$!!$!!"));
    }
}
