namespace Onboarding.Tests.Infrastructure;

/// <summary>Upper bounds for waits on a 2-core machine; a test waits for outcomes, these only stop a hang.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Build = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan StartAndHealthy = TimeSpan.FromSeconds(180);
    public static readonly TimeSpan Stop = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan Operation = TimeSpan.FromSeconds(30);
}
