using Onboarding.TaskEngine.Control;

namespace Onboarding.Tests.TaskEngine.Operations;

public sealed class NodeNameTests
{
    [Theory]
    [InlineData(null, "celery@box.example.com")]
    [InlineData("", "celery@box.example.com")]
    [InlineData("worker1", "celery@worker1")]
    [InlineData("w1@%h", "w1@box.example.com")]
    [InlineData("w1@%n", "w1@box")]
    [InlineData("%n-%d@%h", "box-example.com@box.example.com")]
    [InlineData("w%i@%h", "w0@box.example.com")]
    [InlineData("w%I@%h", "w@box.example.com")]
    [InlineData("100%%@x", "100%@x")]
    [InlineData("@x", "celery@x")]
    [InlineData("w1@", "w1@box.example.com")]
    public void Resolve_ExpandsAsCelery_WhenGivenANameOrNone(string? configured, string expected) =>
        Assert.Equal(expected, NodeName.Resolve(configured, "box.example.com"));
}
