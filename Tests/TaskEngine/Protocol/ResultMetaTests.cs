using System.Text;
using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.Tests.TaskEngine.Protocol;

public sealed class ResultMetaTests
{
    private const string Id = "aaaaaaaa-0000-0000-0000-000000000001";
    private static readonly DateTimeOffset Done = new DateTimeOffset(2026, 11, 25, 0, 45, 51, TimeSpan.Zero).AddTicks(1_551_669);

    [Fact]
    public void Success_WritesCeleryKeyOrder_WhenNoGroupOrParent()
    {
        var json = Encoding.UTF8.GetString(ResultMetaWriter.Success(Id, 5, Done, null, null));

        Assert.Equal(
            """{"status":"SUCCESS","result":5,"traceback":null,"children":[],"date_done":"2026-11-25T00:45:51.155166","task_id":"aaaaaaaa-0000-0000-0000-000000000001"}""",
            json);
    }

    [Fact]
    public void Success_WritesGroupThenParentBeforeTaskId_WhenSet()
    {
        var json = Encoding.UTF8.GetString(ResultMetaWriter.Success(Id, "x", Done, "g", "p"));

        Assert.Equal(
            """{"status":"SUCCESS","result":"x","traceback":null,"children":[],"date_done":"2026-11-25T00:45:51.155166","group_id":"g","parent_id":"p","task_id":"aaaaaaaa-0000-0000-0000-000000000001"}""",
            json);
    }

    [Fact]
    public void Exception_WritesExcTypeMessageListAndModule_WhenTimeLimitExceeded()
    {
        var info = ExceptionInfo.Create("TimeLimitExceeded", "billiard.exceptions", 1);

        var json = Encoding.UTF8.GetString(ResultMetaWriter.Exception(Id, TaskState.Failure, info, null, Done, null, null));

        Assert.Equal(
            """{"status":"FAILURE","result":{"exc_type":"TimeLimitExceeded","exc_message":[1],"exc_module":"billiard.exceptions"},"traceback":null,"children":[],"date_done":"2026-11-25T00:45:51.155166","task_id":"aaaaaaaa-0000-0000-0000-000000000001"}""",
            json);
    }

    [Fact]
    public void FromException_UsesTypeNameAndNamespace_WhenDotNetException()
    {
        var info = ExceptionInfo.FromException(new InvalidOperationException("bad state"));

        Assert.Equal("InvalidOperationException", info.Type);
        Assert.Equal("System", info.Module);
        Assert.Equal("""["bad state"]""", info.Message.GetRawText());
    }

    [Fact]
    public void Parse_ReadsPythonFormattedMeta_WhenFailureStored()
    {
        var json = """{"status": "FAILURE", "result": {"exc_type": "MyError", "exc_message": ["boom", 7], "exc_module": "tasks"}, "traceback": "Traceback ...", "children": [], "date_done": "2026-11-25T00:45:51.155166", "task_id": "t1"}"""u8;

        var meta = ResultMeta.Parse(json);

        Assert.Equal(TaskState.Failure, meta.State);
        Assert.Equal("t1", meta.TaskId);
        Assert.Equal("MyError", meta.Exception!.Type);
        Assert.Equal("tasks", meta.Exception.Module);
        Assert.Equal("boom, 7", meta.Exception.MessageText);
        Assert.Equal(Done.AddTicks(-9), meta.DateDone);
    }

    [Fact]
    public void Parse_ReadsStringExcMessage_WhenOlderWriterStoredIt()
    {
        var meta = ResultMeta.Parse("""{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": "plain string", "exc_module": "builtins"}, "task_id": "t"}"""u8);

        Assert.Equal("plain string", meta.Exception!.MessageText);
    }

    [Fact]
    public void FormatDateDone_HasNoOffsetAndSixDigits_WhenGivenUtcTime()
    {
        Assert.Equal("2026-11-25T00:45:51.155166", CeleryTime.FormatDateDone(Done));
        Assert.True(CeleryTime.TryParse("2026-11-25T00:45:51Z", out var parsed));
        Assert.Equal(TimeSpan.Zero, parsed.Offset);
        Assert.Equal(JsonValueKind.Undefined, new ResultMeta { TaskId = "t", State = TaskState.Pending }.Result.ValueKind);
    }
}
