using System.Text.Json;
using Onboarding.TaskEngine.Canvas;

namespace Onboarding.Tests.TaskEngine.Canvas;

public sealed class WorkflowStepIdsTests
{
    [Fact]
    public void Step_RecordsItsTaskIdUnderStepName_WhenCreated()
    {
        var steps = new WorkflowStepIds("order_id", "o-1");

        var step = steps.Step("order_service.tasks.validate_inventory");

        Assert.Equal(step.Options.TaskId, steps.TaskIds["validate_inventory"]);
        Assert.True(Guid.TryParse(step.Options.TaskId, out _));
    }

    [Fact]
    public void Step_IsImmutableAndCarriesSubjectKwarg_WhenCreated()
    {
        var step = Assert.IsType<TaskSignature>(new WorkflowStepIds("user_id", "u-7").Step("user_service.tasks.assign_user_role"));

        Assert.True(step.IsImmutable);
        Assert.Equal("user_service.tasks.assign_user_role", step.Name);
        Assert.Empty(step.Args);
        Assert.Equal("u-7", step.Kwargs["user_id"].GetString());
        Assert.Equal(JsonValueKind.String, step.Kwargs["user_id"].ValueKind);
    }

    [Fact]
    public void Step_ChoosesNewIds_WhenCalledForEachTask()
    {
        var steps = new WorkflowStepIds("order_id", "o-1");

        var first = steps.Step("order_service.tasks.reserve_inventory");
        var second = steps.Step("order_service.tasks.calculate_taxes");

        Assert.NotEqual(first.Options.TaskId, second.Options.TaskId);
        Assert.Equal(["calculate_taxes", "reserve_inventory"], steps.TaskIds.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("user_service.tasks.validate_user_data", "validate_user_data")]
    [InlineData("diagnostics.ping", "ping")]
    [InlineData("standalone", "standalone")]
    public void StepName_IsLastDottedPart_WhenGivenTaskName(string taskName, string expected) =>
        Assert.Equal(expected, WorkflowStepIds.StepName(taskName));

    [Fact]
    public void Constructor_Throws_WhenSubjectKwargIsEmpty() =>
        Assert.Throws<ArgumentException>(() => new WorkflowStepIds("", "o-1"));
}
