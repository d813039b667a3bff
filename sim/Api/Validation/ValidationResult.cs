namespace Runai.Sim.Api.Validation;

/// <summary>
/// What validating an object against its schema found: invalid fields (422) and fields the schema does not
/// declare (400 under Strict, warnings under Warn, nothing under Ignore; pruned from the object in every mode).
/// </summary>
internal sealed class ValidationResult(FieldValidation mode, string group, IReadOnlyList<FieldError> errors, IReadOnlyList<string> unknownFields)
{
    public FieldValidation Mode { get; } = mode;

    /// <summary>API group of the validated object (from its apiVersion), named in the 422 Status details.</summary>
    public string Group { get; } = group;

    public IReadOnlyList<FieldError> Errors { get; } = errors;

    /// <summary>Paths of undeclared fields, sorted, as the real server reports them (<c>spec.foo</c>, <c>spec.items[0].bar</c>).</summary>
    public IReadOnlyList<string> UnknownFields { get; } = unknownFields;

    public bool IsValid => Errors.Count == 0 && !(Mode == FieldValidation.Strict && UnknownFields.Count > 0);

    /// <summary>
    /// Under Warn, one text per unknown field (<c>unknown field "spec.foo"</c>); the HTTP layer sends each as
    /// <c>Warning: 299 - "unknown field \"spec.foo\""</c>.
    /// </summary>
    public IReadOnlyList<string> Warnings =>
        Mode == FieldValidation.Warn ? UnknownFields.Select(UnknownFieldMessage).ToList() : [];

    internal static string UnknownFieldMessage(string path) => $"unknown field \"{path}\"";
}
