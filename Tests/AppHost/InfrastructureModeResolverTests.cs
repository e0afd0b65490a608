using System.Text.RegularExpressions;
using Onboarding.AppHost.Infrastructure;

namespace Onboarding.Tests.AppHost;

public sealed class InfrastructureModeResolverTests
{
    [Theory]
    [InlineData("Auto")]
    [InlineData("Executables")]
    [InlineData("Containers")]
    public void Resolve_ChoosesContainers_WhenPublishing(string configured)
    {
        var mode = InfrastructureModeResolver.Resolve(
            Enum.Parse<InfrastructureMode>(configured), isPublishing: true, Unexpected, Unexpected);

        Assert.Equal(InfrastructureMode.Containers, mode);
    }

    [Fact]
    public void Resolve_ChoosesContainers_WhenAutoAndARuntimeAnswers()
    {
        var mode = InfrastructureModeResolver.Resolve(InfrastructureMode.Auto, isPublishing: false, () => true, Unexpected);

        Assert.Equal(InfrastructureMode.Containers, mode);
    }

    [Fact]
    public void Resolve_ChoosesExecutables_WhenAutoAndNoRuntimeButServersInstalled()
    {
        var mode = InfrastructureModeResolver.Resolve(InfrastructureMode.Auto, isPublishing: false, () => false, () => true);

        Assert.Equal(InfrastructureMode.Executables, mode);
    }

    [Fact]
    public void Resolve_NeverProbesTheRuntime_WhenExecutablesAreForced()
    {
        var mode = InfrastructureModeResolver.Resolve(InfrastructureMode.Executables, isPublishing: false, Unexpected, () => true);

        Assert.Equal(InfrastructureMode.Executables, mode);
    }

    [Fact]
    public void Resolve_KeepsContainers_WhenForcedEvenWithoutARuntime()
    {
        var mode = InfrastructureModeResolver.Resolve(InfrastructureMode.Containers, isPublishing: false, Unexpected, Unexpected);

        Assert.Equal(InfrastructureMode.Containers, mode);
    }

    [Fact]
    public void Resolve_NamesBothFixes_WhenNothingIsAvailable()
    {
        var error = Assert.Throws<InfrastructureUnavailableException>(() =>
            InfrastructureModeResolver.Resolve(InfrastructureMode.Auto, isPublishing: false, () => false, () => false));

        Assert.Contains("start Docker", error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y rabbitmq-server redis-server", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_SaysHowToInstall_WhenExecutablesAreForcedButMissing()
    {
        var error = Assert.Throws<InfrastructureUnavailableException>(() =>
            InfrastructureModeResolver.Resolve(InfrastructureMode.Executables, isPublishing: false, Unexpected, () => false));

        Assert.Contains("apt-get install -y rabbitmq-server redis-server", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Auto")]
    [InlineData("Executables")]
    public void Resolve_NamesOnlyScriptsThatExist_WhenNothingIsAvailable(string configured)
    {
        var error = Assert.Throws<InfrastructureUnavailableException>(() =>
            InfrastructureModeResolver.Resolve(Enum.Parse<InfrastructureMode>(configured), isPublishing: false, () => false, () => false));

        var scripts = Regex.Matches(error.Message, @"scripts/[\w.-]+\.sh");
        Assert.NotEmpty(scripts);
        var root = RepositoryRoot();
        Assert.All(scripts, script => Assert.True(File.Exists(Path.Combine(root, script.Value)), $"{script.Value} is not in the repository."));
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Onboarding.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The tests run outside the repository (no Onboarding.sln above them).");
    }

    private static bool Unexpected() => throw new InvalidOperationException("This probe should not have been asked.");
}
