using System.Text;
using System.Text.Json;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.Tests.TaskEngine.Protocol;

public sealed class TaskEnvelopeTests
{
    private const string Id = "aaaaaaaa-0000-0000-0000-000000000001";

    private static TaskMessage AddMessage() => new()
    {
        Id = Id,
        Name = "tasks.add",
        Args = [JsonElementOf("2"), JsonElementOf("3")],
        Origin = "gen10881@vm",
    };

    [Fact]
    public void Encode_WritesCeleryBody_WhenEmbedIsEmpty()
    {
        var encoded = TaskEnvelope.Encode(AddMessage());

        Assert.Equal(
            """[[2,3],{},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]""",
            Encoding.UTF8.GetString(encoded.Body));
    }

    [Fact]
    public void Encode_WritesEveryProtocolV2Header_WhenSendingPlainTask()
    {
        var headers = TaskEnvelope.Encode(AddMessage()).Headers;

        Assert.Equal("py", headers["lang"]);
        Assert.Equal("tasks.add", headers["task"]);
        Assert.Equal(Id, headers["id"]);
        Assert.Null(headers["shadow"]);
        Assert.Null(headers["eta"]);
        Assert.Null(headers["expires"]);
        Assert.Null(headers["group"]);
        Assert.Null(headers["group_index"]);
        Assert.Equal(0, headers["retries"]);
        Assert.Equal(new List<object?> { null, null }, headers["timelimit"]);
        Assert.Equal(Id, headers["root_id"]);
        Assert.Null(headers["parent_id"]);
        Assert.Equal("(2, 3)", headers["argsrepr"]);
        Assert.Equal("{}", headers["kwargsrepr"]);
        Assert.Equal("gen10881@vm", headers["origin"]);
        Assert.Equal(false, headers["ignore_result"]);
    }

    [Fact]
    public void Encode_WritesTimeLimitHardThenSoft_WhenBothSet()
    {
        var headers = TaskEnvelope.Encode(AddMessage() with { TimeLimit = 30, SoftTimeLimit = 20 }).Headers;

        Assert.Equal(new List<object?> { 30, 20 }, headers["timelimit"]);
    }

    [Fact]
    public void Encode_WritesEtaWithSixFractionalDigits_WhenTimeHasTicks()
    {
        var eta = new DateTimeOffset(2026, 11, 25, 0, 45, 41, TimeSpan.Zero).AddTicks(2_715_009);

        var headers = TaskEnvelope.Encode(AddMessage() with { Eta = eta, Expires = eta.AddHours(1) }).Headers;

        Assert.Equal("2026-11-25T00:45:41.271500+00:00", headers["eta"]);
        Assert.Equal("2026-11-25T01:45:41.271500+00:00", headers["expires"]);
    }

    [Fact]
    public void Encode_PassesEmbedThrough_WhenChainIsSet()
    {
        var chain = JsonElementOf("""[{"task":"tasks.mul","args":[10],"kwargs":{},"options":{},"subtask_type":null,"immutable":false}]""");

        var body = Encoding.UTF8.GetString(TaskEnvelope.Encode(AddMessage() with { Chain = chain }).Body);

        Assert.Equal(
            """[[2,3],{},{"callbacks":null,"errbacks":null,"chain":[{"task":"tasks.mul","args":[10],"kwargs":{},"options":{},"subtask_type":null,"immutable":false}],"chord":null}]""",
            body);
    }

    [Fact]
    public void Decode_ReadsCapturedPythonMessage_WhenHeadersAreAmqpByteStrings()
    {
        // What RabbitMQ.Client hands over for py-amqp's message: long strings as UTF-8 bytes.
        var headers = new Dictionary<string, object?>
        {
            ["lang"] = Bytes("py"), ["task"] = Bytes("tasks.add"), ["id"] = Bytes(Id), ["shadow"] = null,
            ["eta"] = Bytes("2026-11-25T00:45:41.271500+00:00"), ["expires"] = null, ["group"] = null,
            ["group_index"] = null, ["retries"] = 1, ["timelimit"] = new List<object?> { 30, 20 },
            ["root_id"] = Bytes(Id), ["parent_id"] = null, ["argsrepr"] = Bytes("(2, 3)"), ["kwargsrepr"] = Bytes("{}"),
            ["origin"] = Bytes("gen10881@vm"), ["ignore_result"] = false, ["custom"] = Bytes("value"),
        };
        var body = """[[2, 3], {"z": 1}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"""u8.ToArray();

        var message = TaskEnvelope.Decode(headers, body, "application/json");

        Assert.Equal(Id, message.Id);
        Assert.Equal("tasks.add", message.Name);
        Assert.Equal([2, 3], message.Args.Select(a => a.GetInt32()));
        Assert.Equal(1, message.Kwargs["z"].GetInt32());
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 0, 45, 41, 271, TimeSpan.Zero).AddTicks(5000), message.Eta);
        Assert.Equal(1, message.Retries);
        Assert.Equal(30, message.TimeLimit);
        Assert.Equal(20, message.SoftTimeLimit);
        Assert.Null(message.Chain);
        Assert.Equal("value", message.ExtraHeaders["custom"]);
    }

    [Fact]
    public void Decode_Throws_WhenContentTypeHasCharset()
    {
        var headers = new Dictionary<string, object?> { ["task"] = Bytes("tasks.add"), ["id"] = Bytes(Id) };

        var ex = Assert.Throws<TaskProtocolException>(() =>
            TaskEnvelope.Decode(headers, "[[],{},{}]"u8.ToArray(), "application/json; charset=utf-8"));

        Assert.Equal("content-type", ex.Reason);
        Assert.Equal(Id, ex.TaskId);
    }

    [Fact]
    public void Decode_ThrowsWithTaskId_WhenBodyIsNotJson()
    {
        var headers = new Dictionary<string, object?> { ["task"] = Bytes("tasks.add"), ["id"] = Bytes(Id) };

        var ex = Assert.Throws<TaskProtocolException>(() => TaskEnvelope.Decode(headers, "not json"u8.ToArray(), "application/json"));

        Assert.Equal("body", ex.Reason);
        Assert.Equal(Id, ex.TaskId);
    }

    [Fact]
    public void Decode_ThrowsWithTaskId_WhenBodyIsNotUtf8()
    {
        var headers = new Dictionary<string, object?> { ["task"] = Bytes("tasks.echo"), ["id"] = Bytes(Id) };
        byte[] body = [.. "[[\""u8, 0xff, 0xfe, .. "\"], {}, {}]"u8];

        var ex = Assert.Throws<TaskProtocolException>(() => TaskEnvelope.Decode(headers, body, "application/json"));

        Assert.Equal("body", ex.Reason);
        Assert.Equal(Id, ex.TaskId);
    }

    [Fact]
    public void Decode_TakesTheCorrelationIdAsTaskId_WhenTheIdHeaderIsMissing()
    {
        var headers = new Dictionary<string, object?> { ["task"] = Bytes("tasks.add") };

        var message = TaskEnvelope.Decode(headers, "[[2,3],{},{}]"u8.ToArray(), "application/json", correlationId: Id);

        Assert.Equal(Id, message.Id);
    }

    [Fact]
    public void Decode_KeepsTheIdHeader_WhenCorrelationIdDiffers()
    {
        var headers = new Dictionary<string, object?> { ["task"] = Bytes("tasks.add"), ["id"] = Bytes(Id) };

        var message = TaskEnvelope.Decode(headers, "[[2,3],{},{}]"u8.ToArray(), "application/json", correlationId: "other");

        Assert.Equal(Id, message.Id);
    }

    [Fact]
    public void Decode_ThrowsWithTheCorrelationId_WhenTheTaskHeaderIsMissingToo()
    {
        var ex = Assert.Throws<TaskProtocolException>(() =>
            TaskEnvelope.Decode(new Dictionary<string, object?>(), "[[],{},{}]"u8.ToArray(), "application/json", correlationId: Id));

        Assert.Equal("headers", ex.Reason);
        Assert.Equal(Id, ex.TaskId);
    }

    [Fact]
    public void Decode_Throws_WhenHeadersLackTaskName()
    {
        var ex = Assert.Throws<TaskProtocolException>(() =>
            TaskEnvelope.Decode(new Dictionary<string, object?>(), "[[],{},{}]"u8.ToArray(), "application/json"));

        Assert.Equal("headers", ex.Reason);
    }

    [Fact]
    public void Decode_AcceptsMinimalHeaders_WhenOnlyTaskAndIdAreSent()
    {
        var headers = new Dictionary<string, object?> { ["task"] = "tasks.add", ["id"] = Id };

        var message = TaskEnvelope.Decode(headers, "[[20,22],{},{}]"u8.ToArray(), "application/json");

        Assert.Equal(2, message.Args.Count);
        Assert.Equal(0, message.Retries);
        Assert.Null(message.Eta);
    }

    [Fact]
    public void EncodeThenDecode_RoundTrips_WhenAllFieldsSet()
    {
        var original = AddMessage() with
        {
            Kwargs = new Dictionary<string, JsonElement> { ["user_id"] = JsonElementOf("7") },
            GroupId = "g1",
            GroupIndex = 2,
            Retries = 3,
            ParentId = "p1",
            RootId = "r1",
            IgnoreResult = true,
            TimeLimit = 1.5,
            ExtraHeaders = new Dictionary<string, object?> { ["traceparent"] = "00-abc-def-01" },
        };
        var encoded = TaskEnvelope.Encode(original);

        var decoded = TaskEnvelope.Decode(encoded.Headers, encoded.Body, "application/json");

        Assert.Equal(7, decoded.Kwargs["user_id"].GetInt32());
        Assert.Equal("g1", decoded.GroupId);
        Assert.Equal(2, decoded.GroupIndex);
        Assert.Equal(3, decoded.Retries);
        Assert.Equal("p1", decoded.ParentId);
        Assert.Equal("r1", decoded.RootId);
        Assert.True(decoded.IgnoreResult);
        Assert.Equal(1.5, decoded.TimeLimit);
        Assert.Null(decoded.SoftTimeLimit);
        Assert.Equal("00-abc-def-01", decoded.ExtraHeaders["traceparent"]);
    }

    private static byte[] Bytes(string value) => Encoding.UTF8.GetBytes(value);

    private static JsonElement JsonElementOf(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
