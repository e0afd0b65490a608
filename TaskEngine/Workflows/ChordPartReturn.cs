using System.Text.Json;

namespace Onboarding.TaskEngine.Workflows;

/// <summary>What a chord part return saw (docs/wire-format.md, "Counting parts").</summary>
/// <param name="Count">ZCOUNT of <c>.j</c> after the add.</param>
/// <param name="Extra">The <c>.t</c> counter (0 when unset).</param>
/// <param name="Size">The <c>.s</c> size, or null when the key is gone (fired already or expired).</param>
internal readonly record struct ChordPartReturn(long Count, long Extra, long? Size)
{
    public bool IsComplete => Size is { } size && Count == size + Extra;
}

/// <summary>One member of a chord's <c>.j</c> zset: <c>[1, tid, state, result]</c>.</summary>
internal sealed record ChordMember(string TaskId, string State, JsonElement Result);
