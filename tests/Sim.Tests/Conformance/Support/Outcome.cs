using System.Text.Json.Nodes;

namespace Runai.Sim.Tests.Conformance.Support;

/// <summary>
/// An error as a client reported it: the HTTP code (when the client shows it), the Status reason, the Status message,
/// and what the client printed or received verbatim (for assertions on kubectl's wording and for failure messages).
/// </summary>
public sealed record ApiError(int? Code, string Reason, string Message, string Printed)
{
    public override string ToString() => $"{Code} {Reason}: {Message}\n{Printed}";
}

/// <summary>What one request through a client came to: the object the server answered, or its error.</summary>
public sealed record Outcome(JsonObject? Object, ApiError? Error)
{
    public static Outcome Of(JsonObject? obj) => new(obj, null);

    public static Outcome Failed(ApiError error) => new(null, error);

    /// <summary>The object; fails the test with the server's error when there was one.</summary>
    public JsonObject Ok => Error is null
        ? Object ?? new JsonObject()
        : throw new Xunit.Sdk.XunitException($"expected success, got {Error}");

    /// <summary>The error; fails the test when the request succeeded.</summary>
    public ApiError Failure => Error ?? throw new Xunit.Sdk.XunitException($"expected an error, got {Object?.ToJsonString()}");

    /// <summary>Names of a list's items, in the order served.</summary>
    public IReadOnlyList<string> Names => [.. (Ok["items"] as JsonArray ?? []).Select(i => (string?)i?["metadata"]?["name"] ?? "")];
}

/// <summary>One watch event as a client showed it: its type and the object's name.</summary>
public sealed record SeenEvent(string Type, string Name);
