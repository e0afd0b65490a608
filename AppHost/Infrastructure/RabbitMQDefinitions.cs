using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Onboarding.AppHost.Infrastructure;

/// <summary>
/// RabbitMQ's definitions file for the local broker. <c>default_user</c> only seeds a fresh database, so with
/// persistent data a changed password would lock the services out; definitions are imported at every boot and keep the
/// user's password equal to the parameter's.
/// </summary>
internal static class RabbitMQDefinitions
{
    public static string Create(string userName, string password)
    {
        var definitions = new
        {
            users = new[]
            {
                new
                {
                    name = userName,
                    password_hash = HashPassword(password),
                    hashing_algorithm = "rabbit_password_hashing_sha256",
                    tags = new[] { "administrator" },
                },
            },
            vhosts = new[] { new { name = "/" } },
            permissions = new[]
            {
                new { user = userName, vhost = "/", configure = ".*", write = ".*", read = ".*" },
            },
        };
        return JsonSerializer.Serialize(definitions);
    }

    /// <summary>RabbitMQ's salted SHA-256: base64(salt ‖ SHA-256(salt ‖ UTF-8 password)) with a 4-byte salt.</summary>
    internal static string HashPassword(string password, byte[]? salt = null)
    {
        salt ??= RandomNumberGenerator.GetBytes(4);
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        var salted = new byte[salt.Length + passwordBytes.Length];
        salt.CopyTo(salted, 0);
        passwordBytes.CopyTo(salted, salt.Length);
        var hash = SHA256.HashData(salted);
        return Convert.ToBase64String([.. salt, .. hash]);
    }
}
