namespace Runai.Sim.Api.Validation;

/// <summary>The <c>fieldValidation</c> query parameter: what the server does with fields the schema does not declare.</summary>
internal enum FieldValidation
{
    /// <summary>Drop them silently (what the real server does when the parameter is absent on old clients).</summary>
    Ignore,

    /// <summary>Drop them and say so in a <c>Warning</c> header (the server's default).</summary>
    Warn,

    /// <summary>Refuse the request with 400 BadRequest (kubectl's default since 1.27).</summary>
    Strict,
}
