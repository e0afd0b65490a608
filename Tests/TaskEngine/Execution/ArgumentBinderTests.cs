using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Execution;

namespace Onboarding.Tests.TaskEngine.Execution;

public sealed class ArgumentBinderTests
{
    public sealed record WelcomeArgs(int UserId, string Email, string Locale = "en");

    private static readonly Dictionary<string, JsonElement> NoKwargs = [];

    [Fact]
    public void Bind_MapsPositionalArgsInConstructorOrder_WhenArgsGiven()
    {
        var args = ArgumentBinder<WelcomeArgs>.Bind([Json("7"), Json("\"a@b.c\"")], NoKwargs);

        Assert.Equal(new WelcomeArgs(7, "a@b.c"), args);
    }

    [Fact]
    public void Bind_MapsKwargsBySnakeCaseOrExactName_WhenKwargsGiven()
    {
        var args = ArgumentBinder<WelcomeArgs>.Bind([], new Dictionary<string, JsonElement>
        {
            ["user_id"] = Json("7"),
            ["Email"] = Json("\"a@b.c\""),
            ["locale"] = Json("\"fr\""),
        });

        Assert.Equal(new WelcomeArgs(7, "a@b.c", "fr"), args);
    }

    [Fact]
    public void Bind_MixesPositionalAndKwargs_WhenBothGiven()
    {
        var args = ArgumentBinder<WelcomeArgs>.Bind([Json("7")], new Dictionary<string, JsonElement> { ["email"] = Json("\"x@y\"") });

        Assert.Equal(new WelcomeArgs(7, "x@y"), args);
    }

    [Fact]
    public void Bind_ThrowsTypeError_WhenRequiredArgumentMissing()
    {
        var ex = Assert.Throws<TaskArgumentException>(() => ArgumentBinder<WelcomeArgs>.Bind([Json("7")], NoKwargs));

        Assert.Equal("TypeError", ex.Info.Type);
        Assert.Equal("builtins", ex.Info.Module);
    }

    [Fact]
    public void Bind_ThrowsTypeError_WhenTooManyPositionalArgs() =>
        Assert.Throws<TaskArgumentException>(() =>
            ArgumentBinder<WelcomeArgs>.Bind([Json("1"), Json("\"e\""), Json("\"l\""), Json("4")], NoKwargs));

    [Fact]
    public void Bind_ThrowsTypeError_WhenArgumentHasWrongType() =>
        Assert.Throws<TaskArgumentException>(() => ArgumentBinder<WelcomeArgs>.Bind([Json("\"seven\""), Json("\"e\"")], NoKwargs));

    [Fact]
    public void Bind_ReturnsNoArgs_WhenTaskTakesNone() =>
        Assert.NotNull(ArgumentBinder<NoArgs>.Bind([], NoKwargs));

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
