using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Rbac;

internal sealed partial class RbacAuthorizer
{
    /// <summary>
    /// Answers a SubjectAccessReview, SelfSubjectAccessReview or LocalSubjectAccessReview (authorization.k8s.io/v1):
    /// returns a copy with <c>status.allowed</c> (and <c>status.reason</c> when RBAC gives one) filled from the same
    /// rules requests are decided by. A LocalSubjectAccessReview's metadata.namespace must be the request's namespace
    /// (the caller sets it from the URL). Whether the requester may create the review is the caller's check.
    /// Throws 400/422 for a malformed review.
    /// </summary>
    public JsonObject AnswerAccessReview(JsonObject review, UserInfo requester)
    {
        var kind = Str(review, "kind");
        var spec = review["spec"] as JsonObject
            ?? throw Invalid(kind, "spec: Required value");
        var resourceAttributes = spec["resourceAttributes"] as JsonObject;
        var nonResourceAttributes = spec["nonResourceAttributes"] as JsonObject;

        UserInfo subject;
        switch (kind)
        {
            case "SubjectAccessReview":
                var groups = Strings(spec["groups"]);
                var userName = Str(spec, "user");
                if (userName.Length == 0 && groups.Count == 0)
                    throw Invalid(kind, "spec.user: Invalid value: \"\": at least one of user or group must be specified");
                subject = new UserInfo(userName, groups);
                break;
            case "SelfSubjectAccessReview":
                subject = requester;
                break;
            case "LocalSubjectAccessReview":
                var ns = Str(review["metadata"] as JsonObject, "namespace");
                if (nonResourceAttributes is not null)
                    throw Invalid(kind, "spec.nonResourceAttributes: Invalid value: \"object\": disallowed on this kind of request");
                if (resourceAttributes is not null && Str(resourceAttributes, "namespace") != ns)
                    throw Invalid(kind, $"spec.resourceAttributes.namespace: Invalid value: \"{Str(resourceAttributes, "namespace")}\": must match metadata.namespace");
                var localGroups = Strings(spec["groups"]);
                var localUser = Str(spec, "user");
                if (localUser.Length == 0 && localGroups.Count == 0)
                    throw Invalid(kind, "spec.user: Invalid value: \"\": at least one of user or group must be specified");
                subject = new UserInfo(localUser, localGroups);
                break;
            default:
                throw ApiException.BadRequest($"kind \"{kind}\" is not an access review; expected SubjectAccessReview, SelfSubjectAccessReview or LocalSubjectAccessReview");
        }

        if (resourceAttributes is not null && nonResourceAttributes is not null)
            throw Invalid(kind, "spec.nonResourceAttributes: Invalid value: \"object\": cannot be specified in combination with resourceAttributes");
        if (resourceAttributes is null && nonResourceAttributes is null)
            throw Invalid(kind, "spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified");

        var attrs = resourceAttributes is not null
            ? RequestAttributes.ForResource(Str(resourceAttributes, "verb"), Str(resourceAttributes, "group"),
                Str(resourceAttributes, "resource"), Str(resourceAttributes, "namespace"),
                Str(resourceAttributes, "name"), Str(resourceAttributes, "subresource"))
            : RequestAttributes.ForPath(Str(nonResourceAttributes, "verb"), Str(nonResourceAttributes, "path"));
        var decision = Authorize(subject, attrs);

        var answer = review.DeepClone().AsObject();
        answer["apiVersion"] ??= "authorization.k8s.io/v1";
        var status = new JsonObject { ["allowed"] = decision.Allowed };
        if (decision.Reason.Length > 0) status["reason"] = decision.Reason;
        answer["status"] = status;
        return answer;
    }

    static ApiException Invalid(string kind, string problem) =>
        ApiException.Invalid($"{kind}.authorization.k8s.io \"\" is invalid: {problem}");

    static string Str(JsonObject? o, string field) =>
        o?[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    static List<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null)
            .OfType<string>().ToList();
}
