using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Routing;

namespace Onboarding.Tests.TaskEngine.Routing;

public sealed class TaskRouterTests
{
    private static readonly TaskRouter Router = new(
    [
        new TaskRoute { Pattern = "user_service.tasks.*", Queue = "user_queue" },
        new TaskRoute { Pattern = "order_service.tasks.*", Queue = "order_queue" },
        new TaskRoute { Pattern = "notification_service.tasks.*", Queue = "notification_queue" },
    ], "default");

    [Theory]
    [InlineData("user_service.tasks.send_welcome_email", "user_queue")]
    [InlineData("order_service.tasks.process_payment", "order_queue")]
    [InlineData("notification_service.tasks.send_order_email", "notification_queue")]
    [InlineData("diagnostics.ping", "default")]
    [InlineData("user_service.other", "default")]
    public void Route_UsesFirstMatchingGlob_WhenNoOverride(string taskName, string expected) =>
        Assert.Equal(expected, Router.Route(taskName));

    [Fact]
    public void Route_PrefersExplicitQueue_WhenGiven() =>
        Assert.Equal("special", Router.Route("user_service.tasks.x", explicitQueue: "special", taskQueue: "task_q"));

    [Fact]
    public void Route_UsesTaskQueue_WhenNoExplicitQueue() =>
        Assert.Equal("task_q", Router.Route("user_service.tasks.x", taskQueue: "task_q"));

    [Theory]
    [InlineData("a.*.c", "a.b.c", true)]
    [InlineData("a.*.c", "a.b.d", false)]
    [InlineData("a.?", "a.b", true)]
    [InlineData("a.?", "a.bc", false)]
    [InlineData("*", "", true)]
    [InlineData("*x*", "abxcd", true)]
    [InlineData("tasks.add", "tasks.add", true)]
    [InlineData("tasks.add", "tasks.adds", false)]
    public void GlobMatches_FollowsGlobRules_ForPatterns(string pattern, string text, bool expected) =>
        Assert.Equal(expected, TaskRouter.GlobMatches(pattern, text));
}
