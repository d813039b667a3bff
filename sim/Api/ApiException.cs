using System.Text.Json.Nodes;

namespace Runai.Sim.Api;

/// <summary>
/// An error the API server answers with a <c>Status</c> body, as a real one does:
/// the HTTP code, the machine-readable reason (NotFound, AlreadyExists, Conflict, Invalid, BadRequest,
/// Forbidden, Gone, RequestEntityTooLarge, UnsupportedMediaType, MethodNotAllowed, InternalError) and a message.
/// </summary>
internal sealed class ApiException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public JsonObject? Details { get; } = details;

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);
    public static ApiException Invalid(string message, JsonObject? details = null) => new(422, "Invalid", message, details);
    public static ApiException NotFound(string message) => new(404, "NotFound", message);
    public static ApiException Conflict(string message) => new(409, "Conflict", message);

    public JsonObject ToStatus() => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = Message,
        ["reason"] = Reason,
        ["details"] = Details?.DeepClone(),
        ["code"] = Code,
    };
}
