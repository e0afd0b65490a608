using System.Text.Json;
using Onboarding.TaskEngine.Canvas;
using static Onboarding.Tests.TaskEngine.Canvas.CanvasTestSupport;

namespace Onboarding.Tests.TaskEngine.Canvas;

public sealed class CanvasJsonTests
{
    [Fact]
    public void ToJson_WritesCeleryDictForm_WhenPlainSignature()
    {
        var json = Signature.Create("tasks.add", 100).WithTaskId("t-1").ToJson();

        Assert.Equal("""{"task":"tasks.add","args":[100],"kwargs":{},"options":{"task_id":"t-1"},"subtask_type":null,"immutable":false}""", json);
    }

    [Theory]
    [InlineData("""{"task": "tasks.add", "args": [100], "kwargs": {"x": [1, 2]}, "options": {"task_id": "t", "reply_to": "r", "queue": "math", "priority": 5, "countdown": 10, "time_limit": 30, "soft_time_limit": 20, "headers": {"h": 1}, "ignore_result": true, "shadow": "adder", "exchange": "", "routing_key": "math", "stamped_headers": ["a"]}, "subtask_type": null, "immutable": true}""")]
    [InlineData("""{"task": "celery.chain", "args": [], "kwargs": {"tasks": [{"task": "tasks.add", "args": [1, 2], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}, {"task": "tasks.mul", "args": [10], "kwargs": {}, "options": {"link_error": [{"task": "tasks.err", "args": [], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}]}, "subtask_type": null, "immutable": false}]}, "options": {}, "subtask_type": "chain", "immutable": false}""")]
    [InlineData("""{"task": "celery.group", "args": [], "kwargs": {"tasks": [{"task": "tasks.add", "args": [1, 1], "kwargs": {}, "options": {"task_id": "a", "group_id": "g"}, "subtask_type": null, "immutable": false}]}, "options": {"task_id": "g"}, "subtask_type": "group", "immutable": false}""")]
    [InlineData("""{"task": "celery.map", "args": [], "kwargs": {"task": {"task": "tasks.double", "args": [], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}, "it": [1, 2, 3]}, "options": {}, "subtask_type": "xmap", "immutable": true}""")]
    [InlineData("""{"task": "celery.starmap", "args": [], "kwargs": {"task": {"task": "tasks.add", "args": [], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}, "it": [[1, 2], [3, 4]]}, "options": {}, "subtask_type": "xstarmap", "immutable": true}""")]
    [InlineData("""{"task": "celery.chunks", "args": [], "kwargs": {"task": {"task": "tasks.add", "args": [], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}, "it": [[1, 2], [3, 4], [5, 6]], "n": 2}, "options": {}, "subtask_type": "chunks", "immutable": true}""")]
    [InlineData("""{"task": "tasks.tsum", "args": [], "kwargs": {}, "options": {"task_id": "b", "chain": []}, "subtask_type": null, "immutable": false, "chord_size": 3}""")]
    [InlineData("""{"task": "tasks.odd", "args": [], "kwargs": {}, "options": {"countdown": "10", "priority": 1.5, "eta": "not a date", "group_index": "x"}, "subtask_type": null, "immutable": false}""")]
    public void FromJson_RoundTripsPythonShapedDict_WhenWrittenBack(string python)
    {
        var signature = Signature.FromJson(python);

        AssertJson(python, signature.ToJson());
    }

    [Fact]
    public void FromJson_RoundTripsCapturedChord_WhenChainUpgradedGroup()
    {
        const string tsum = """{"task": "tasks.tsum", "args": [], "kwargs": {}, "options": {"task_id": "c06925f6", "reply_to": "r"}, "subtask_type": null, "immutable": false}""";
        var captured = $$$"""
            {"task": "celery.chord", "args": [], "kwargs": {"kwargs": {},
               "header": {"task": "celery.group", "args": [], "kwargs": {"tasks": [
                   {"task": "tasks.add", "args": [10], "kwargs": {}, "options": {"task_id": "03895ac6", "reply_to": "r", "chord": {{{tsum}}}, "group_index": 0}, "subtask_type": null, "immutable": false}]},
                 "options": {"task_id": "5c0b56e0", "chord": {{{tsum}}}, "root_id": null, "parent_id": null}, "subtask_type": "group", "immutable": false},
               "body": {{{tsum}}}},
             "options": {"task_id": "5c0b56e0"}, "subtask_type": "chord", "immutable": false}
            """;

        var chord = Assert.IsType<Chord>(Signature.FromJson(captured));

        Assert.Equal("tasks.tsum", chord.Body.Task);
        Assert.Equal(0, chord.Header.Tasks[0].Options.GroupIndex);
        Assert.Equal("c06925f6", chord.Header.Tasks[0].Options.Chord!.Options.TaskId);
        AssertJson(captured, chord.ToJson());
    }

    [Fact]
    public void FromJson_ToleratesPythonQuirks_WhenOptionsNullAndLinkSingleAndHeaderList()
    {
        var signature = Signature.FromJson("""
            {"task": "celery.chord", "args": null, "kwargs": {"kwargs": {}, "header": [
                {"task": "tasks.a", "args": [1], "options": null, "subtask_type": null},
                {"task": "tasks.b", "args": [2], "kwargs": {}, "options": {"link": {"task": "tasks.cb", "args": [], "kwargs": {}, "options": {}}, "eta": "2030-01-01T12:00:00+00:00", "expires": {"__type__": "datetime", "__value__": "2030-01-02T00:00:00Z"}}}],
              "body": {"task": "tasks.tsum"}}, "options": {}, "subtask_type": "chord", "extra_key": 1}
            """);

        var chord = Assert.IsType<Chord>(signature);
        Assert.Equal(2, chord.Header.Tasks.Count);
        Assert.Empty(chord.Args);
        Assert.Equal(SignatureOptions.None, chord.Header.Tasks[0].Options);
        var b = chord.Header.Tasks[1].Options;
        Assert.Equal("tasks.cb", Assert.Single(b.Link!).Task);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero), b.Eta);
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 0, 0, 0, TimeSpan.Zero), b.ExpiresAt);
        Assert.Equal(1, chord.Extra["extra_key"].GetInt32());
    }

    [Fact]
    public void ToJson_WritesAtMostSixFractionalDigits_WhenOptionsHaveEta()
    {
        var eta = new DateTimeOffset(2026, 11, 25, 0, 45, 41, TimeSpan.Zero).AddTicks(2_715_001);

        var json = Signature.Create("tasks.add").WithOptions(new SignatureOptions { Eta = eta, ExpiresInSeconds = 300 }).ToJson();

        Assert.Contains("\"eta\":\"2026-11-25T00:45:41.271500+00:00\"", json, StringComparison.Ordinal);
        Assert.Contains("\"expires\":300", json, StringComparison.Ordinal);
    }

    [Fact]
    public void FromJson_Throws_WhenSubtaskTypeIsUnknown()
    {
        Assert.Throws<JsonException>(() => Signature.FromJson("""{"task": "x", "subtask_type": "nope", "kwargs": {}}"""));
    }

    [Fact]
    public void JsonSerializer_UsesCeleryDictForm_WhenSerializingAnySignatureType()
    {
        var chain = Chain.Of(Signature.Create("tasks.a"), Signature.Create("tasks.b"));

        var viaSerializer = JsonSerializer.Serialize(chain);
        var back = JsonSerializer.Deserialize<Signature>(viaSerializer);

        Assert.Equal(chain.ToJson(), viaSerializer);
        Assert.Equal(viaSerializer, back!.ToJson());
        Assert.Equal(viaSerializer, JsonSerializer.Serialize<Signature>(chain));
    }

    [Fact]
    public void Read_ReadsEmbed_WhenPythonSendsNullsOrNoEmbed()
    {
        Assert.Equal(MessageEmbed.Empty, MessageEmbed.Read(default));
        var embed = MessageEmbed.Read(Json("""{"callbacks": null, "errbacks": null, "chain": [], "chord": null}"""));
        Assert.Empty(embed.Chain!);
        Assert.Null(embed.Callbacks);
        Assert.Equal("""{"callbacks":null,"errbacks":null,"chain":[],"chord":null}""", embed.ToJson());
    }
}
