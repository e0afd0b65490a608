using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Onboarding.AppHost.Infrastructure;

namespace Onboarding.Tests.AppHost;

public sealed class RabbitMQDefinitionsTests
{
    [Fact]
    public void HashPassword_FollowsRabbitMQsSaltedSha256()
    {
        byte[] salt = [0x90, 0x8D, 0xC6, 0x0A];

        var hash = Convert.FromBase64String(RabbitMQDefinitions.HashPassword("test12", salt));

        Assert.Equal(salt, hash[..4]);
        Assert.Equal(SHA256.HashData([.. salt, .. Encoding.UTF8.GetBytes("test12")]), hash[4..]);
    }

    [Fact]
    public void Create_GrantsTheUserEverythingOnTheDefaultVhost()
    {
        using var definitions = JsonDocument.Parse(RabbitMQDefinitions.Create("guest", "secret"));

        var user = definitions.RootElement.GetProperty("users")[0];
        Assert.Equal("guest", user.GetProperty("name").GetString());
        Assert.Equal("rabbit_password_hashing_sha256", user.GetProperty("hashing_algorithm").GetString());
        var permission = definitions.RootElement.GetProperty("permissions")[0];
        Assert.Equal("/", permission.GetProperty("vhost").GetString());
        Assert.Equal(".*", permission.GetProperty("write").GetString());
    }
}
