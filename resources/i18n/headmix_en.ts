<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>CacheDialog</name>
    <message numerus="yes">
        <source>%n model revision(s) with safetensors weights in {folder}</source>
        <translation>
            <numerusform>%n model revision with safetensors weights in {folder}</numerusform>
            <numerusform>%n model revisions with safetensors weights in {folder}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Comparison</name>
    <message numerus="yes">
        <source>Two ways to shrink the model by about the same number of parameters ({apart}% of the original apart), measured on the same text ({tokens} tokens scored in %n window(s) of {window}): {described}. Removing whole layers saves attention and MLP at once; mixing heads saves attention only, in every layer.</source>
        <translation>
            <numerusform>Two ways to shrink the model by about the same number of parameters ({apart}% of the original apart), measured on the same text ({tokens} tokens scored in %n window of {window}): {described}. Removing whole layers saves attention and MLP at once; mixing heads saves attention only, in every layer.</numerusform>
            <numerusform>Two ways to shrink the model by about the same number of parameters ({apart}% of the original apart), measured on the same text ({tokens} tokens scored in %n windows of {window}): {described}. Removing whole layers saves attention and MLP at once; mixing heads saves attention only, in every layer.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Export</name>
    <message numerus="yes">
        <source>… and %n more</source>
        <translation>
            <numerusform>… and %n more</numerusform>
            <numerusform>… and %n more</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LayersView</name>
    <message numerus="yes">
        <source>All %n decoder layer(s) stay</source>
        <translation>
            <numerusform>All %n decoder layer stays</numerusform>
            <numerusform>All %n decoder layers stay</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Decoder layers {total} → {kept} ({method}): removes %n layer(s) {removed}</source>
        <translation>
            <numerusform>Decoder layers {total} → {kept} ({method}): removes layer {removed}</numerusform>
            <numerusform>Decoder layers {total} → {kept} ({method}): removes layers {removed}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Score: {score}. The higher it is, the more the layer changes what flows through it; the %n lowest go, {what}{merged}.</source>
        <translation>
            <numerusform>Score: {score}. The higher it is, the more the layer changes what flows through it; the %n lowest go, {what}{merged}.</numerusform>
            <numerusform>Score: {score}. The higher it is, the more the layer changes what flows through it; the %n lowest go, {what}{merged}.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Methods</name>
    <message numerus="yes">
        <source>The current targets ({shape}) with each method, measured on the same text ({tokens} tokens scored in %n window(s) of {window}). The highlighted row is the method in use; click another to use it.</source>
        <translation>
            <numerusform>The current targets ({shape}) with each method, measured on the same text ({tokens} tokens scored in %n window of {window}). The highlighted row is the method in use; click another to use it.</numerusform>
            <numerusform>The current targets ({shape}) with each method, measured on the same text ({tokens} tokens scored in %n windows of {window}). The highlighted row is the method in use; click another to use it.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>; %n failed (hover for why)</source>
        <translation>
            <numerusform>; %n failed (hover for why)</numerusform>
            <numerusform>; %n failed (hover for why)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Opening</name>
    <message numerus="yes">
        <source>%n problem(s), listed on the left</source>
        <translation>
            <numerusform>%n problem, listed on the left</numerusform>
            <numerusform>%n problems, listed on the left</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n head(s)</source>
        <translation>
            <numerusform>%n head</numerusform>
            <numerusform>%n heads</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>&lt;b&gt;{name}&lt;/b&gt; — {arch}: %n layer(s), hidden {hidden}, {heads}, head size {head_dim}{rope}&lt;br&gt;{params} parameters, {dtype}, {size} on disk</source>
        <translation>
            <numerusform>&lt;b&gt;{name}&lt;/b&gt; — {arch}: %n layer, hidden {hidden}, {heads}, head size {head_dim}{rope}&lt;br&gt;{params} parameters, {dtype}, {size} on disk</numerusform>
            <numerusform>&lt;b&gt;{name}&lt;/b&gt; — {arch}: %n layers, hidden {hidden}, {heads}, head size {head_dim}{rope}&lt;br&gt;{params} parameters, {dtype}, {size} on disk</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n problem(s), listed below</source>
        <translation>
            <numerusform>%n problem, listed below</numerusform>
            <numerusform>%n problems, listed below</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Rendering</name>
    <message numerus="yes">
        <source>%n window(s) of {window} tokens, {scored} scored</source>
        <translation>
            <numerusform>%n window of {window} tokens, {scored} scored</numerusform>
            <numerusform>%n windows of {window} tokens, {scored} scored</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Measure runs the original model and the shrunk one side by side on the text, layer by layer, without exporting: %n window(s) of {window} tokens, {scored} tokens scored.</source>
        <translation>
            <numerusform>Measure runs the original model and the shrunk one side by side on the text, layer by layer, without exporting: %n window of {window} tokens, {scored} tokens scored.</numerusform>
            <numerusform>Measure runs the original model and the shrunk one side by side on the text, layer by layer, without exporting: %n windows of {window} tokens, {scored} tokens scored.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Running the original and the shrunk model side by side on the text: %n window(s) of {window} tokens. The window stays usable.</source>
        <translation>
            <numerusform>Running the original and the shrunk model side by side on the text: %n window of {window} tokens. The window stays usable.</numerusform>
            <numerusform>Running the original and the shrunk model side by side on the text: %n windows of {window} tokens. The window stays usable.</numerusform>
        </translation>
    </message>
</context>
</TS>
