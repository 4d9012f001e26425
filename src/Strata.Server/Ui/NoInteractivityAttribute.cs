namespace Strata.Server.Ui;

/// <summary>
/// Marks a page with no interactive island and no enhanced form: <c>App</c> leaves out <c>blazor.web.js</c> there, so
/// the browser neither downloads nor runs it (about 200 KB of script run before the page's own deferred scripts).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class NoInteractivityAttribute : Attribute;
