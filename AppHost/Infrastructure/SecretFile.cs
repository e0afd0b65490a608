namespace Onboarding.AppHost.Infrastructure;

/// <summary>Writes configuration that holds a password: readable by the owner only, never on a command line.</summary>
internal static class SecretFile
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static async Task WriteAsync(string path, string content, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            await File.WriteAllTextAsync(path, content, cancellationToken);
            return;
        }

        if (File.Exists(path))
        {
            // UnixCreateMode applies only to new files; tighten an existing one before it gets the secret.
            File.SetUnixFileMode(path, OwnerReadWrite);
        }

        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerReadWrite,
        };
        await using var stream = new FileStream(path, options);
        await using var writer = new StreamWriter(stream);
        await writer.WriteAsync(content.AsMemory(), cancellationToken);
    }
}
