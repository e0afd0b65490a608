using System.Text;
using System.Text.Json;
using Onboarding.TaskEngine.Events;

namespace Onboarding.Tests.TaskEngine.Events;

public sealed class EventEnvelopeTests
{
    [Fact]
    public void ToUtf8Json_WritesSeedEnvelopeFieldNames_WhenSerialized()
    {
        var envelope = new EventEnvelope
        {
            EventId = "0195a6f3-0000-7000-8000-000000000001",
            EventType = "user.created",
            UserId = "42",
            Data = JsonDocument.Parse("""{"user_id":42,"email":"a@b.c"}""").RootElement,
            Timestamp = new DateTimeOffset(2026, 11, 27, 21, 0, 0, TimeSpan.Zero),
            SourceService = "userservice",
        };

        using var json = JsonDocument.Parse(envelope.ToUtf8Json());
        var root = json.RootElement;

        Assert.Equal("0195a6f3-0000-7000-8000-000000000001", root.GetProperty("event_id").GetString());
        Assert.Equal("user.created", root.GetProperty("event_type").GetString());
        Assert.Equal("42", root.GetProperty("user_id").GetString());
        Assert.Equal("a@b.c", root.GetProperty("data").GetProperty("email").GetString());
        Assert.Equal("2026-11-27T21:00:00+00:00", root.GetProperty("timestamp").GetString());
        Assert.Equal("userservice", root.GetProperty("source_service").GetString());
        Assert.Equal(1, root.GetProperty("version").GetInt32());
    }

    [Fact]
    public void FromUtf8Json_ReadsPythonEnvelope_WhenUserIdIsAbsent()
    {
        var body = Encoding.UTF8.GetBytes(
            """{"event_id":"e1","event_type":"user.deleted","data":{"user_id":7},"timestamp":"2026-11-27T21:00:00.123456","source_service":"user-service","version":2}""");

        var envelope = EventEnvelope.FromUtf8Json(body);

        Assert.Equal("e1", envelope.EventId);
        Assert.Equal("user.deleted", envelope.EventType);
        Assert.Null(envelope.UserId);
        Assert.Equal(7, envelope.Data.GetProperty("user_id").GetInt32());
        Assert.Equal(2, envelope.Version);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"event_type":"user.created","data":{},"timestamp":"2026-11-27T21:00:00Z","source_service":"x"}""")]
    [InlineData("null")]
    public void FromUtf8Json_Throws_WhenBodyIsNotAnEnvelope(string body) =>
        Assert.ThrowsAny<JsonException>(() => EventEnvelope.FromUtf8Json(Encoding.UTF8.GetBytes(body)));

    [Theory]
    [InlineData("user.created", "user.created", true)]
    [InlineData("user.*", "user.created", true)]
    [InlineData("user.*", "user.profile.updated", false)]
    [InlineData("user.#", "user.profile.updated", true)]
    [InlineData("#", "order.created", true)]
    [InlineData("user.created", "user.deleted", false)]
    [InlineData("*.created", "order.created", true)]
    public void TopicPattern_MatchesLikeRabbitMq_WhenGivenPattern(string pattern, string routingKey, bool expected) =>
        Assert.Equal(expected, TopicPattern.IsMatch(pattern, routingKey));
}
