using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Publishing;

namespace Onboarding.TaskEngine.Workflows;

/// <summary>
/// Carries out a <see cref="PublishPlan"/>: SETEX the chord sizes, save the group results, write the workflow index,
/// then publish every message (built by <see cref="TaskMessageFactory"/>) with confirms.
/// </summary>
internal sealed class WorkflowPublisher(
    ITaskBroker broker,
    IWorkflowStore store,
    TaskMessageFactory messages,
    TimeProvider timeProvider)
{
    /// <summary>This step's own compensating signature (from the <c>compensation</c> option), as Celery dict JSON.</summary>
    public const string CompensationHeader = "x-onboarding-compensation";

    /// <summary>The compensations of the completed steps before this one: a JSON list, oldest first.</summary>
    public const string CompensationsHeader = "x-onboarding-compensations";

    /// <summary>The option key <see cref="Signature.WithCompensation"/> writes.</summary>
    public const string CompensationOption = "compensation";

    public async Task PublishAsync(
        PublishPlan plan,
        string indexRootId,
        IReadOnlyDictionary<string, string>? headersByTaskId,
        CancellationToken cancellationToken)
    {
        // Chord sizes and saved groups are in Redis before any message can finish (a part must find its chord's size).
        // The index only feeds status trees, so it is written beside the publishes. The messages of one plan are
        // independent branches and go out at once: a 1,000-part chord costs one round of pipelined confirms, not
        // 1,000 sequential ones.
        if (plan.ChordSizes.Count + plan.SavedGroups.Count > 0)
        {
            var bookkeeping = new List<Task>(plan.ChordSizes.Count + plan.SavedGroups.Count);
            foreach (var size in plan.ChordSizes)
            {
                bookkeeping.Add(store.SetChordSizeAsync(size.GroupId, size.Size, cancellationToken));
            }

            foreach (var group in plan.SavedGroups)
            {
                bookkeeping.Add(store.SaveGroupAsync(group.Id, ResultTuple.GroupMetaJson(group), cancellationToken));
            }

            await Task.WhenAll(bookkeeping).ConfigureAwait(false);
        }

        // A chord's parts all carry its body: written once per plan, not once per part.
        var chordBodies = new Dictionary<Signature, JsonElement>(ReferenceEqualityComparer.Instance);
        foreach (var message in plan.Messages)
        {
            if (message.Embed.Chord is { } body && !chordBodies.ContainsKey(body))
            {
                chordBodies[body] = JsonSerializer.Deserialize<JsonElement>(body.ToJson());
            }
        }

        var publishes = new Task[plan.Messages.Count + 1];
        for (var i = 0; i < plan.Messages.Count; i++)
        {
            var message = plan.Messages[i];
            publishes[i] = PublishAsync(message, Compensations(message), message.Embed.Chord is { } body ? chordBodies[body] : null, cancellationToken);
        }

        publishes[^1] = store.IndexAsync(indexRootId, IndexEntries(plan, timeProvider.GetUtcNow().ToUnixTimeMilliseconds()), cancellationToken);
        await Task.WhenAll(publishes).ConfigureAwait(false);

        string? Compensations(PlannedMessage planned) =>
            headersByTaskId is not null && headersByTaskId.TryGetValue(planned.TaskId, out var compensations) ? compensations : null;
    }

    private async Task PublishAsync(PlannedMessage planned, string? compensations, JsonElement? chordBody, CancellationToken cancellationToken)
    {
        var options = planned.Options;
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in options.Headers ?? new Dictionary<string, JsonElement>())
        {
            headers[key] = ToHeaderValue(value);
        }

        if (options.Extra.TryGetValue(CompensationOption, out var compensation) && compensation.ValueKind == JsonValueKind.Object)
        {
            headers[CompensationHeader] = compensation.GetRawText();
        }

        if (compensations is not null)
        {
            headers[CompensationsHeader] = compensations;
        }

        using var outgoing = messages.Create(new TaskMessageRequest
        {
            Id = planned.TaskId,
            Name = planned.Task,
            Headers = headers,
            Args = planned.Args,
            Kwargs = planned.Kwargs,
            Callbacks = ToElement(planned.Embed.Callbacks),
            Errbacks = ToElement(planned.Embed.Errbacks),
            Chain = ToElement(planned.Embed.Chain),
            Chord = chordBody,
            Queue = options.Queue ?? ExtraString(options, "routing_key"),
            Eta = options.Eta,
            Countdown = options.Countdown is { } countdown ? TimeSpan.FromSeconds(countdown) : null,
            Expires = options.ExpiresAt,
            ExpiresIn = options.ExpiresInSeconds is { } expires ? TimeSpan.FromSeconds(expires) : null,
            Priority = (byte)Math.Clamp(options.Priority ?? 0, 0, 255),
            TimeLimit = options.TimeLimit,
            SoftTimeLimit = options.SoftTimeLimit,
            IgnoreResult = options.IgnoreResult,
            ParentId = options.ParentId,
            RootId = options.RootId,
            GroupId = options.GroupId,
            GroupIndex = options.GroupIndex,
            Shadow = options.Shadow,
            ReplyTo = options.ReplyTo,
        });
        try
        {
            await broker.PublishAsync(outgoing.Message, outgoing.Queue, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            outgoing.Failed(ex);
            throw;
        }

        messages.Published(outgoing);
    }

    /// <summary>
    /// The index entries of a plan: every message, the groups they belong to, and the frozen steps still riding in
    /// embeds (the rest of a chain, a chord body), so PENDING steps show in a status tree. Field = id, value =
    /// <c>{"name": ..., "parent": ..., "seq": ...}</c>; group members hang under their group, chord bodies too. <c>seq</c>
    /// (publish time in ms × 10⁴ + position) orders siblings, as Redis does not keep a large hash's field order.
    /// </summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> IndexEntries(PublishPlan plan, long publishedAtMs)
    {
        var entries = new IndexEntryList(publishedAtMs * 10_000);
        foreach (var message in plan.Messages)
        {
            var parent = message.ParentId;
            if (message.GroupId is { } groupId)
            {
                entries.Add(groupId, "celery.group", parent);
                parent = groupId;
            }

            entries.Add(message.TaskId, message.Task, parent);
            var previous = message.TaskId;
            if (message.Embed.Chain is { } chain)
            {
                for (var i = chain.Count - 1; i >= 0 && previous is not null; i--)
                {
                    previous = IndexSignature(entries, chain[i], previous);
                }
            }

            if (message.Embed.Chord is { } body && message.GroupId is { } chordGroup)
            {
                IndexSignature(entries, body, chordGroup);
            }
        }

        return entries;
    }

    // Returns the id the next chain step hangs under, or null when it cannot be known before the step runs.
    private static string? IndexSignature(IndexEntryList entries, Signature signature, string parent)
    {
        switch (signature)
        {
            case Chain chain:
                string? previous = parent;
                foreach (var step in chain.Tasks)
                {
                    if (previous is null)
                    {
                        break;
                    }

                    previous = IndexSignature(entries, step, previous);
                }

                return previous;
            case Chord chord:
                return IndexSignature(entries, chord.Body, parent);
            case Group:
                return null;
            default:
                if (signature.Options.TaskId is not { } id)
                {
                    return null;
                }

                entries.Add(id, signature.Task, parent);
                return id;
        }
    }

    private sealed class IndexEntryList(long firstSeq) : List<KeyValuePair<string, string>>
    {
        public void Add(string id, string name, string? parent)
        {
            var seq = firstSeq + Count;
            Add(new KeyValuePair<string, string>(id, CanvasJson.WriteToString(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("name", name);
                if (parent is null)
                {
                    writer.WriteNull("parent");
                }
                else
                {
                    writer.WriteString("parent", parent);
                }

                writer.WriteNumber("seq", seq);
                writer.WriteEndObject();
            })));
        }
    }

    private static JsonElement? ToElement(IReadOnlyList<Signature>? signatures)
    {
        if (signatures is null)
        {
            return null;
        }

        var json = CanvasJson.WriteToString(writer => CanvasJson.WriteList(writer, signatures));
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static string? ExtraString(SignatureOptions options, string key) =>
        options.Extra.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static object? ToHeaderValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.TryGetInt64(out var integer) ? integer : value.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Array => value.EnumerateArray().Select(ToHeaderValue).ToList(),
        _ => value.EnumerateObject().ToDictionary(property => property.Name, property => ToHeaderValue(property.Value), StringComparer.Ordinal),
    };
}
